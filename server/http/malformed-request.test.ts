import { describe, expect, it } from 'vitest';
import { MAX_SERVER_ACTION_BODY_BYTES, isServerActionRequest, serverActionProblem, undecodablePath } from './malformed-request.ts';

describe('undecodablePath', () => {
  it('refuses a segment that does not percent-decode to UTF-8, naming it', () => {
    expect(undecodablePath('/api/dead-letters/%FF%FE')).toEqual({ status: 400, error: 'The path is not valid UTF-8 percent-encoding: segment "%FF%FE".' });
    expect(undecodablePath('/enrollments/%E2%82')?.status).toBe(400);
    expect(undecodablePath('/x/%')?.status).toBe(400);
  });

  it('lets through what decodes, control characters and encoded slashes included (the routes judge those)', () => {
    for (const path of ['/', '/api/enrollments/card-link%3Acus_1%3Afp_12345678.r1', '/api/x/%25', '/api/x/a%2Fb', '/api/x/x%00', '/caf%C3%A9']) expect(undecodablePath(path)).toBeNull();
  });
});

const HOST = 'console.example:3000';
const ARGS = '[{"error":null,"username":""},"$K1"]';

function multipart(fields: [string, string][], boundary = 'b0undary'): string {
  return `${fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('')}--${boundary}--\r\n`;
}

function action(body: BodyInit, headers: Record<string, string> = {}): Request {
  return new Request(`http://${HOST}/login`, {
    method: 'POST',
    headers: { host: HOST, origin: `http://${HOST}`, 'next-action': '60c7696ac6fdecf40a833d8df562f42e4e3df5d80e', 'content-type': 'multipart/form-data; boundary=b0undary', ...headers },
    body,
  });
}

describe('isServerActionRequest', () => {
  it('is a POST with a Next-Action header or a multipart body, as Next.js decides', () => {
    expect(isServerActionRequest(action('x'))).toBe(true);
    expect(isServerActionRequest(new Request('http://h/login', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: 'x' }))).toBe(true);
    expect(isServerActionRequest(new Request('http://h/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }))).toBe(false);
    expect(isServerActionRequest(new Request('http://h/login', { headers: { 'next-action': 'abc' } }))).toBe(false);
  });
});

describe('serverActionProblem', () => {
  it('accepts what the browser sends: multipart with the argument list in field "0", or the list as text', async () => {
    expect(await serverActionProblem(action(multipart([['1_username', 'a'], ['0', ARGS]])))).toBeNull();
    expect(await serverActionProblem(action('[]', { 'content-type': 'text/plain;charset=UTF-8' }))).toBeNull();
    // A form posted without JavaScript carries no Next-Action header and no argument list.
    const plainForm = action(multipart([['$ACTION_ID_abc', '']]));
    plainForm.headers.delete('next-action');
    expect(await serverActionProblem(plainForm)).toBeNull();
  });

  it('refuses a body Next.js cannot decode with 400 naming the fault', async () => {
    expect(await serverActionProblem(action('not multipart at all'))).toEqual({ status: 400, error: 'The server-action body is not valid multipart/form-data.' });
    expect((await serverActionProblem(action('')))?.status).toBe(400);
    expect((await serverActionProblem(action(multipart([['0', ARGS]]).slice(0, 40))))?.error).toMatch(/not valid multipart/);
    expect((await serverActionProblem(action(multipart([['username', 'a']]))))?.error).toMatch(/form field "0" must be a JSON array/);
    expect((await serverActionProblem(action(multipart([['0', '{"a":1}']]))))?.error).toMatch(/form field "0"/);
    expect((await serverActionProblem(action('{"username":"a"}', { 'content-type': 'application/json' })))?.error).toMatch(/not an argument list/);
    expect((await serverActionProblem(action(new Uint8Array([0x5b, 0xff, 0x5d]), { 'content-type': 'text/plain' })))?.error).toMatch(/not valid UTF-8/);
  });

  it('refuses a body over 1 MB with 413, declared or not', async () => {
    const big = multipart([['0', ARGS], ['1_username', 'x'.repeat(MAX_SERVER_ACTION_BODY_BYTES)]]);
    expect(await serverActionProblem(action(big))).toEqual({ status: 413, error: 'The server-action body is over 1 MB.' });
    expect(await serverActionProblem(action('[]', { 'content-length': String(MAX_SERVER_ACTION_BODY_BYTES + 1), 'content-type': 'text/plain' }))).toMatchObject({ status: 413 });
  });

  it('refuses an Origin that is not a URL (400) or not this host (403), as Next.js compares them', async () => {
    expect(await serverActionProblem(action('[]', { origin: 'not a url', 'content-type': 'text/plain' }))).toMatchObject({ status: 400, error: 'The Origin header is not a URL: "not a url".' });
    expect(await serverActionProblem(action('[]', { origin: 'https://evil.example', 'content-type': 'text/plain' }))).toMatchObject({ status: 403 });
    // Behind a proxy the first X-Forwarded-Host is the console's host.
    expect(await serverActionProblem(action('[]', { origin: 'https://ops.example', 'x-forwarded-host': 'ops.example, internal:3000', 'content-type': 'text/plain' }))).toBeNull();
    // No Origin (a hand-made request) or "null" is left to Next.js, which lets it through.
    const noOrigin = action('[]', { 'content-type': 'text/plain' });
    noOrigin.headers.delete('origin');
    expect(await serverActionProblem(noOrigin)).toBeNull();
  });
});
