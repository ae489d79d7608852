import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeServer, listenOnFreePort, startSandboxOnFreePort } from '../../../worker/partner-sandbox/testing.ts';
import type { PartnerSandbox } from '../../../worker/partner-sandbox/server.ts';
import { chaseV1 } from './chase.ts';
import { createPartnerHttp, PartnerProtocolError, PartnerRejectedError, PartnerUnavailableError } from './http.ts';

const card = { paymentMethodId: 'pm_1', fingerprint: 'fp_http', bin: '414721', last4: '4242', country: 'US', network: 'visa', expMonth: 4, expYear: 2031 };
const body = { customerId: 'cus_http', fingerprint: 'fp_http', bin: '414721', last4: '4242', country: 'US', network: 'visa' };

let sandbox: PartnerSandbox;

async function control(path: string, payload: unknown = {}) {
  const res = await fetch(`${sandbox.url}/_control/${path}`, { method: 'POST', body: JSON.stringify(payload) });
  expect(res.ok).toBe(true);
}

beforeAll(async () => {
  sandbox = await startSandboxOnFreePort({ consoleUrl: 'http://127.0.0.1:9', reconcileAfterMs: 60_000 });
});
afterAll(() => sandbox.stop());
beforeEach(() => control('reset'));

describe('PartnerHttp against the partner sandbox', () => {
  it('posts JSON under the partner root and returns the parsed answer', async () => {
    const partner = createPartnerHttp(`${sandbox.url}/`, 'chase', { timeoutMs: 2000 });
    await expect(partner.post('/eligibility', body)).resolves.toMatchObject({ decision: 'eligible' });
    await expect(chaseV1.checkEligibility(partner, { customerId: 'cus_http', card })).resolves.toMatchObject({ kind: 'eligible' });
  });

  it('turns a 503 into a retryable PartnerUnavailableError, and the retry succeeds', async () => {
    await control('faults', { partnerId: 'chase', failNext: 1 });
    const partner = createPartnerHttp(sandbox.url, 'chase');
    const failure = await partner.post('/eligibility', body).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PartnerUnavailableError);
    expect(failure).toMatchObject({ name: 'PartnerUnavailableError', partnerId: 'chase', status: 503 });
    await expect(partner.post('/eligibility', body)).resolves.toMatchObject({ decision: 'eligible' });
  });

  it('turns a 404 or a 400 into a final PartnerRejectedError carrying the answer', async () => {
    const unknownReference = await createPartnerHttp(sandbox.url, 'rbc').get('/reconciliations/mm-rbc-nothing').catch((err: unknown) => err);
    expect(unknownReference).toBeInstanceOf(PartnerRejectedError);
    expect(unknownReference).toMatchObject({ name: 'PartnerRejectedError', status: 404, body: { error: 'unknown reconciliation mm-rbc-nothing' } });

    const unknownPartner = await createPartnerHttp(sandbox.url, 'nobody').post('/eligibility', body).catch((err: unknown) => err);
    expect(unknownPartner).toMatchObject({ name: 'PartnerRejectedError', status: 404 });

    const invalid = await createPartnerHttp(sandbox.url, 'chase').post('/eligibility', { ...body, bin: '12' }).catch((err: unknown) => err);
    expect(invalid).toBeInstanceOf(PartnerRejectedError);
    expect(invalid).toMatchObject({ status: 400, body: { error: 'invalid request body' } });
  });

  it('gives up on a partner that never answers after its timeout, as retryable', async () => {
    await control('faults', { timeoutNext: 1 });
    const partner = createPartnerHttp(sandbox.url, 'afterpay', { timeoutMs: 300 });
    const started = Date.now();
    const failure = await partner.post('/eligibility', { ...body, bin: '535317', network: 'mastercard' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PartnerUnavailableError);
    expect((failure as Error).message).toMatch(/timed out after 300 ms/);
    expect((failure as Error).cause).toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('times out a slow partner too, and succeeds with a longer timeout', async () => {
    await control('faults', { partnerId: 'chase', latencyMs: 400 });
    await expect(createPartnerHttp(sandbox.url, 'chase', { timeoutMs: 150 }).post('/eligibility', body)).rejects.toBeInstanceOf(PartnerUnavailableError);
    await expect(createPartnerHttp(sandbox.url, 'chase', { timeoutMs: 2000 }).post('/eligibility', body)).resolves.toMatchObject({ decision: 'eligible' });
  });

  it('reports a refused connection as retryable, naming the cause', async () => {
    const server = http.createServer();
    const port = await listenOnFreePort(server);
    await closeServer(server);
    const failure = await createPartnerHttp(`http://127.0.0.1:${port}`, 'chase').get('/reconciliations/x').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PartnerUnavailableError);
    expect((failure as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('treats a 2xx that is not JSON as a protocol error', async () => {
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>'));
    const port = await listenOnFreePort(server);
    try {
      const failure = await createPartnerHttp(`http://127.0.0.1:${port}`, 'chase').get('/reconciliations/x').catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(PartnerProtocolError);
    } finally {
      await closeServer(server);
    }
  });
});
