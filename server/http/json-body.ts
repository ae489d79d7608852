import { HttpError } from './http-error.ts';
import { MAX_JSON_DEPTH, scanJson } from './text-rules.ts';

/** No console or service request needs more; a larger body is refused (413) before it is read in full. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads at most maxBytes of the body, so a client cannot make the server buffer an unbounded upload. */
async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => new HttpError(413, `The request body is over ${maxBytes} bytes (1 MB); send less.`, { field: 'body' });
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/**
 * The request body as JSON, or an HttpError naming what is wrong with it: over 1 MB (413), not UTF-8 or not
 * JSON (400), or a NUL character in any string or key, or nesting deeper than MAX_JSON_DEPTH (422, with the field's path).
 */
export async function readJsonBody(request: Request, maxBytes = MAX_JSON_BODY_BYTES): Promise<unknown> {
  const bytes = await readCapped(request, maxBytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'The request body is not valid UTF-8.', { field: 'body' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    // Not the parser's message: it quotes the body, which may hold what a client should not have sent (a PAN).
    throw new HttpError(400, 'The request body must be valid JSON.', { field: 'body' });
  }
  const found = scanJson(value);
  if (found) {
    const field = found.path.join('.') || 'body';
    const message = found.problem === 'nul' ? 'must not contain control characters (such as NUL)' : `nests deeper than ${MAX_JSON_DEPTH} levels`;
    throw new HttpError(422, `${field}: ${message}`, { issues: [{ path: found.path.map(String), message }] });
  }
  return value;
}
