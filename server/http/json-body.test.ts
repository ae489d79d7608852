import { describe, expect, it } from 'vitest';
import { HttpError } from './http-error.ts';
import { MAX_JSON_BODY_BYTES, readJsonBody } from './json-body.ts';
import { MAX_JSON_DEPTH } from './text-rules.ts';

const post = (body: BodyInit, headers: Record<string, string> = {}) => new Request('http://console.test/api/x', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

async function refusal(request: Request): Promise<{ status: number; message: string; details?: Record<string, unknown> }> {
  try {
    await readJsonBody(request);
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, message: err.message, details: err.details };
    throw err;
  }
  throw new Error('the body was accepted');
}

/** A body sent in chunks without a Content-Length, as a chunked upload arrives. */
function chunked(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(64 * 1024, total - sent);
      controller.enqueue(new Uint8Array(size).fill(0x20));
      sent += size;
    },
  });
}

describe('readJsonBody', () => {
  it('parses a JSON body', async () => {
    expect(await readJsonBody(post('{"sku":"PRD-1","delta":2}'))).toEqual({ sku: 'PRD-1', delta: 2 });
  });

  it('refuses a body over 1 MB with 413, by its Content-Length or, without one, as it streams', async () => {
    const big = `{"pad":"${'x'.repeat(MAX_JSON_BODY_BYTES)}"}`;
    expect(await refusal(post(big))).toMatchObject({ status: 413, details: { field: 'body' } });
    expect(await refusal(post(chunked(MAX_JSON_BODY_BYTES + 1)))).toMatchObject({ status: 413 });
    // Exactly the limit is read (and then is simply not JSON).
    expect(await refusal(post(chunked(MAX_JSON_BODY_BYTES)))).toMatchObject({ status: 400 });
  });

  it('refuses bytes that are not UTF-8, and text that is not JSON, with 400 naming the body', async () => {
    const invalid = new Uint8Array([...Buffer.from('{"sku":"'), 0xff, 0xfe, ...Buffer.from('"}')]);
    expect(await refusal(post(invalid))).toEqual({ status: 400, message: 'The request body is not valid UTF-8.', details: { field: 'body' } });
    expect(await refusal(post('{"sku": '))).toEqual({ status: 400, message: 'The request body must be valid JSON.', details: { field: 'body' } });
    expect(await refusal(post(''))).toMatchObject({ status: 400 });
  });

  it('does not quote the body back in its error (it may hold a card number)', async () => {
    const { message } = await refusal(post('4111111111111111 is my card'));
    expect(message).not.toContain('4111');
  });

  it('refuses NUL in any string or key with 422 naming the field, since Postgres text cannot hold it', async () => {
    expect(await refusal(post(JSON.stringify({ storeId: 'ST-1', sku: 'PRD\u00001' })))).toEqual({
      status: 422,
      message: 'sku: must not contain control characters (such as NUL)',
      details: { issues: [{ path: ['sku'], message: 'must not contain control characters (such as NUL)' }] },
    });
    expect((await refusal(post(JSON.stringify({ card: { tags: ['ok', 'b\u0000d'] } })))).message).toBe('card.tags.1: must not contain control characters (such as NUL)');
    expect((await refusal(post(JSON.stringify({ 'k\u0000': 1 })))).message).toMatch(/^k\u0000: /);
    expect((await refusal(post(JSON.stringify('\u0000')))).message).toBe('body: must not contain control characters (such as NUL)');
  });

  it('refuses nesting deeper than MAX_JSON_DEPTH without overflowing the stack', async () => {
    expect(await readJsonBody(post(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`))).toBeDefined();
    const deep = await refusal(post(`${'['.repeat(200_000)}${']'.repeat(200_000)}`));
    expect(deep.status).toBe(422);
    expect(deep.message).toContain(`nests deeper than ${MAX_JSON_DEPTH} levels`);
  });
});
