/**
 * Requests Next.js itself cannot decode, found before it tries: it answers them with a bare 500 from code that
 * runs before any route or action of ours (a path segment that is not UTF-8 percent-encoding; a server-action
 * POST whose body its decoder chokes on). proxy.ts refuses them with these 4xx answers instead.
 */

export interface Refusal {
  status: 400 | 403 | 413;
  error: string;
}

/** Next.js's own limit for a server action's body (serverActions.bodySizeLimit, unset here). */
export const MAX_SERVER_ACTION_BODY_BYTES = 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const quoted = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

/** A path segment that does not percent-decode to UTF-8 (e.g. `%FF`), or null. */
export function undecodablePath(pathname: string): Refusal | null {
  for (const segment of pathname.split('/')) {
    try {
      decodeURIComponent(segment);
    } catch {
      return { status: 400, error: `The path is not valid UTF-8 percent-encoding: segment ${quoted(segment)}.` };
    }
  }
  return null;
}

/** Whether Next.js treats this request as a server action (getServerActionRequestMetadata in Next.js). */
export function isServerActionRequest(request: Request): boolean {
  if (request.method !== 'POST') return false;
  return request.headers.has('next-action') || (request.headers.get('content-type') ?? '').startsWith('multipart/form-data');
}

/**
 * What is wrong with a server-action request that Next.js would answer with 500, or null for one it can decode:
 * an Origin that is not a URL or not this host (its CSRF check throws), a body over its 1 MB limit, multipart
 * that does not parse, or an argument list that is not the JSON array React's encodeReply writes (in form
 * field "0" of a multipart body, or the whole body otherwise).
 */
export async function serverActionProblem(request: Request): Promise<Refusal | null> {
  const origin = request.headers.get('origin');
  if (origin && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return { status: 400, error: `The Origin header is not a URL: ${quoted(origin)}.` };
    }
    // The host Next.js compares with: the first X-Forwarded-Host, else Host.
    const host = request.headers.get('x-forwarded-host')?.split(',')[0]?.trim() || request.headers.get('host');
    if (originHost !== host) return { status: 403, error: `The Origin header (${quoted(originHost)}) is not this console: a server action is accepted only from its own pages.` };
  }

  const tooLarge: Refusal = { status: 413, error: 'The server-action body is over 1 MB.' };
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > MAX_SERVER_ACTION_BODY_BYTES) return tooLarge;
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.byteLength > MAX_SERVER_ACTION_BODY_BYTES) return tooLarge;

  const contentType = request.headers.get('content-type') ?? '';
  const isFetchAction = request.headers.has('next-action');
  if (contentType.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    } catch {
      return { status: 400, error: 'The server-action body is not valid multipart/form-data.' };
    }
    if (!isFetchAction) return null;
    const args = form.get('0');
    return typeof args === 'string' && isJsonArray(args) ? null : { status: 400, error: 'The server-action body has no argument list: form field "0" must be a JSON array.' };
  }
  if (!isFetchAction) return null;
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { status: 400, error: 'The server-action body is not valid UTF-8.' };
  }
  return isJsonArray(text) ? null : { status: 400, error: 'The server-action body is not an argument list: it must be multipart/form-data or a JSON array.' };
}

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(JSON.parse(text));
  } catch {
    return false;
  }
}
