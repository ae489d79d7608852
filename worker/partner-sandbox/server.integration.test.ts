import http, { type IncomingHttpHeaders } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CardFacts } from '../../server/temporal/contract.ts';
import { chase } from '../../server/card-link/partners/chase.ts';
import { createPartnerHttp } from '../../server/card-link/partners/http.ts';
import { issuedWithin } from '../../server/card-link/partners/issuing.ts';
import type { PartnerIntegration } from '../../server/card-link/partners/partner.ts';
import { requestEligibility, requestUnlink, toDecision } from '../../server/card-link/partners/partner-api.ts';
import { createPartnerRegistry, partnerRegistry } from '../../server/card-link/partners/registry.ts';
import { DEMO_CARDS, demoFingerprint, type DemoScenario } from '../../server/card-link/seed.ts';
import { InvalidWebhookSignatureError, verifyWebhookSignature } from '../../server/card-link/webhook-signature.ts';
import { eventually } from '../../server/testing/eventually.ts';
import type { PartnerSandbox, PartnerSandboxOptions } from './server.ts';
import { closeServer, listenOnFreePort, startSandboxOnFreePort } from './testing.ts';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  raw: string;
}

/** Stands in for the console's webhook route: records what arrives, answers `statuses` in turn, then 202. */
async function startReceiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) as unknown, raw: text });
      res.writeHead(statuses.shift() ?? 202).end('{}');
    });
  });
  const port = await listenOnFreePort(server);
  return { url: `http://127.0.0.1:${port}`, received, stop: () => closeServer(server) };
}

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.stop();
});

async function sandboxWith(options: Partial<Omit<PartnerSandboxOptions, 'port'>> = {}) {
  const receiver = await startReceiver();
  running.push(receiver);
  const sandbox = await startSandboxOnFreePort({ consoleUrl: receiver.url, reconcileAfterMs: 200, ...options });
  running.push(sandbox);
  return { sandbox, receiver };
}

const api = (sandbox: PartnerSandbox) => ({
  eligibility: async (partnerId: string, body: Record<string, unknown>) => {
    const res = await fetch(`${sandbox.url}/partners/${partnerId}/eligibility`, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  },
  reconciliation: async (partnerId: string, reference: string) => {
    const res = await fetch(`${sandbox.url}/partners/${partnerId}/reconciliations/${encodeURIComponent(reference)}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  },
  control: async (path: string, payload: unknown = {}) => {
    const res = await fetch(`${sandbox.url}/_control/${path}`, { method: 'POST', body: JSON.stringify(payload) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  },
  get: async (path: string) => (await (await fetch(`${sandbox.url}${path}`)).json()) as Record<string, unknown>,
});

const chaseCard = { customerId: 'cus_ivy', fingerprint: 'fp_ivy', bin: '414722', last4: '4242', country: 'US', network: 'visa' };
const rbcCard = { customerId: 'cus_marc', fingerprint: 'fp_marc', bin: '450063', last4: '4242', country: 'CA', network: 'visa' };

describe('partner sandbox: deterministic answers', () => {
  let sandbox: PartnerSandbox;
  beforeAll(async () => {
    sandbox = await startSandboxOnFreePort({ consoleUrl: 'http://127.0.0.1:9', reconcileAfterMs: 60_000 });
  });
  afterAll(() => sandbox.stop());

  it('reports health and the partners it serves', async () => {
    expect(await api(sandbox).get('/_control/health')).toMatchObject({ ok: true, partners: ['chase', 'rbc', 'afterpay'] });
  });

  it.each([
    ['an ordinary card', chaseCard, { decision: 'eligible' }],
    ['a card from another issuer', { ...chaseCard, bin: '450063' }, { decision: 'not_eligible', reason: 'card_not_issued_by_partner' }],
    ['a declined customer', { ...chaseCard, customerId: 'cus_decline_zed' }, { decision: 'not_eligible', reason: 'customer_not_eligible' }],
    ['last4 0002', { ...chaseCard, last4: '0002' }, { decision: 'not_eligible', reason: 'account_not_in_good_standing' }],
    ['last4 0003', { ...chaseCard, last4: '0003' }, { decision: 'multi_match', reference: expect.stringMatching(/^mm-chase-[0-9a-f]{12}-0003$/) as unknown }],
    ['last4 0004', { ...chaseCard, last4: '0004' }, { decision: 'multi_match' }],
    ['last4 0005', { ...chaseCard, last4: '0005' }, { decision: 'multi_match' }],
  ])('answers %s the same way every time', async (_name, body, expected) => {
    const first = await api(sandbox).eligibility('chase', body);
    expect(first).toEqual({ status: 200, body: expect.objectContaining(expected) as unknown });
    expect(await api(sandbox).eligibility('chase', body)).toEqual(first);
  });

  it('gives each (partner, customer, card) its own stable reference', async () => {
    const a = await api(sandbox).eligibility('chase', chaseCard);
    const b = await api(sandbox).eligibility('chase', { ...chaseCard, customerId: 'cus_other' });
    const c = await api(sandbox).eligibility('chase', { ...chaseCard, fingerprint: 'fp_other' });
    expect(new Set([a.body.reference, b.body.reference, c.body.reference]).size).toBe(3);
  });

  it('rejects unknown partners, routes and malformed bodies', async () => {
    expect((await api(sandbox).eligibility('monzo', chaseCard)).status).toBe(404);
    expect((await api(sandbox).eligibility('chase', { ...chaseCard, last4: 'abcd' })).status).toBe(400);
    expect((await fetch(`${sandbox.url}/partners/chase/eligibility`)).status).toBe(404);
    expect((await fetch(`${sandbox.url}/partners/chase/eligibility`, { method: 'POST', body: '{' })).status).toBe(400);
  });

  it('answers every seeded demo card the way its scenario says, through the partner integrations', async () => {
    const expected: Record<DemoScenario, string> = {
      eligible: 'eligible',
      not_eligible: 'not_eligible',
      multi_match_matched: 'multi_match',
      multi_match_rejected: 'multi_match',
      multi_match_unanswered: 'multi_match',
      shadow_mismatch: 'eligible',
      no_partner: 'none',
    };
    for (const demo of DEMO_CARDS) {
      const card: CardFacts = { ...demo, fingerprint: demoFingerprint(demo.paymentMethodId) };
      const partner = partnerRegistry.selectPartner(card);
      const decision = partner ? await partner.checkEligibility(createPartnerHttp(sandbox.url, partner.partnerId), { customerId: demo.customerId, card }) : undefined;
      expect(decision?.kind ?? 'none', demo.paymentMethodId).toBe(expected[demo.scenario]);
      if (demo.scenario === 'shadow_mismatch') {
        const candidate = partnerRegistry.resolve('chase', '2');
        const shadow = await candidate.checkEligibility(createPartnerHttp(sandbox.url, 'chase'), { customerId: demo.customerId, card });
        expect(shadow.kind).toBe('not_eligible');
      }
    }
  });
});

describe('partner sandbox: fault injection', () => {
  it('fails the next n calls of one partner with 503, leaving the others alone', async () => {
    const { sandbox } = await sandboxWith();
    expect((await api(sandbox).control('faults', { partnerId: 'rbc', failNext: 2 })).status).toBe(200);
    expect((await api(sandbox).eligibility('chase', chaseCard)).status).toBe(200);
    expect((await api(sandbox).eligibility('rbc', rbcCard)).status).toBe(503);
    expect((await api(sandbox).eligibility('rbc', rbcCard)).status).toBe(503);
    expect((await api(sandbox).eligibility('rbc', rbcCard)).status).toBe(200);
    const { requests } = (await api(sandbox).get('/_control/requests')) as { requests: { partnerId: string; status: number }[] };
    expect(requests.map((r) => `${r.partnerId}:${r.status}`)).toEqual(['chase:200', 'rbc:503', 'rbc:503', 'rbc:200']);
  });

  it('adds latency until reset', async () => {
    const { sandbox } = await sandboxWith();
    await api(sandbox).control('faults', { latencyMs: 250 });
    let started = Date.now();
    expect((await api(sandbox).eligibility('afterpay', { ...chaseCard, bin: '535316', network: 'mastercard' })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    await api(sandbox).control('reset');
    started = Date.now();
    await api(sandbox).eligibility('chase', chaseCard);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('leaves the next n calls hanging, and answers the one after', async () => {
    const { sandbox } = await sandboxWith();
    await api(sandbox).control('faults', { partnerId: 'chase', timeoutNext: 1 });
    const hung = fetch(`${sandbox.url}/partners/chase/eligibility`, { method: 'POST', body: JSON.stringify(chaseCard), signal: AbortSignal.timeout(300) });
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await api(sandbox).eligibility('chase', chaseCard)).status).toBe(200);
  });

  it('refuses faults for a partner it does not know', async () => {
    const { sandbox } = await sandboxWith();
    expect((await api(sandbox).control('faults', { partnerId: 'monzo', failNext: 1 })).status).toBe(404);
    expect((await api(sandbox).control('faults', { failNext: -1 })).status).toBe(400);
  });
});

describe('partner sandbox: reconciliation', () => {
  it('resolves a polled multi-match after the delay, without a webhook for a polling-only partner', async () => {
    const { sandbox, receiver } = await sandboxWith({ reconcileAfterMs: 300 });
    const { body } = await api(sandbox).eligibility('rbc', { ...rbcCard, last4: '0004' });
    const reference = body.reference as string;
    expect(await api(sandbox).reconciliation('rbc', reference)).toEqual({ status: 200, body: { state: 'pending' } });
    const rbc = partnerRegistry.resolve('rbc', '1');
    const answer = await eventually('the RBC multi-match to resolve', async () => {
      const state = await rbc.pollReconciliation!(createPartnerHttp(sandbox.url, 'rbc'), reference);
      return state.state === 'pending' ? undefined : state;
    });
    expect(answer).toEqual({ state: 'rejected', reason: 'no_matching_account' });
    expect(await api(sandbox).get('/_control/webhooks')).toEqual({ deliveries: [] });
    expect(receiver.received).toEqual([]);
    // Only the issuing partner answers for a reference.
    expect((await api(sandbox).reconciliation('chase', reference)).status).toBe(404);
  });

  it("delivers a webhook partner answer to the console signed with that partner's own secret", async () => {
    const secrets = new Map([
      ['chase', 'chase-test-secret-of-at-least-32-characters'],
      ['afterpay', 'afterpay-test-secret-of-at-least-32-chars'],
    ]);
    const { sandbox, receiver } = await sandboxWith({ webhookSecrets: secrets });
    const { body } = await api(sandbox).eligibility('chase', { ...chaseCard, last4: '0003' });
    await eventually('the Chase webhook', async () => receiver.received.length > 0);
    expect(receiver.received).toEqual([
      {
        path: '/api/partner-webhooks/chase',
        headers: expect.objectContaining({ 'x-dashops-signature': expect.stringMatching(/^sha256=[0-9a-f]{64}$/) as string, 'content-type': 'application/json' }) as unknown,
        body: { partnerId: 'chase', reference: body.reference, matched: true },
        raw: expect.any(String) as string,
      },
    ]);
    const [delivered] = receiver.received;
    const signed = (secret: string | undefined) => () =>
      verifyWebhookSignature({
        secret,
        timestamp: delivered!.headers['x-dashops-timestamp'] as string,
        signature: delivered!.headers['x-dashops-signature'] as string,
        body: delivered!.raw,
      });
    expect(signed(secrets.get('chase'))).not.toThrow();
    // Another partner's secret does not verify it.
    expect(signed(secrets.get('afterpay'))).toThrow(InvalidWebhookSignatureError);
    expect((await api(sandbox).reconciliation('chase', body.reference as string)).body).toEqual({ state: 'matched' });
  });

  it('retries a webhook while the console answers 503, then stops', async () => {
    const receiver = await startReceiver([503, 503]);
    running.push(receiver);
    const sandbox = await startSandboxOnFreePort({ consoleUrl: receiver.url, reconcileAfterMs: 0, webhookRetry: { baseDelayMs: 20 } });
    running.push(sandbox);
    await api(sandbox).eligibility('afterpay', { ...chaseCard, bin: '535318', network: 'mastercard', last4: '0003' });
    const delivery = await eventually('the webhook to be delivered', async () => {
      const { deliveries } = (await api(sandbox).get('/_control/webhooks')) as { deliveries: { status: string; attempts: number }[] };
      return deliveries[0]?.status === 'delivered' ? deliveries[0] : undefined;
    });
    expect(delivery.attempts).toBe(3);
    expect(receiver.received).toHaveLength(3);
  });

  it('gives up at once on an answer that cannot change (401)', async () => {
    const receiver = await startReceiver([401]);
    running.push(receiver);
    const sandbox = await startSandboxOnFreePort({ consoleUrl: receiver.url, reconcileAfterMs: 0, webhookRetry: { baseDelayMs: 20 } });
    running.push(sandbox);
    await api(sandbox).eligibility('chase', { ...chaseCard, last4: '0004' });
    const delivery = await eventually('the webhook to fail', async () => {
      const { deliveries } = (await api(sandbox).get('/_control/webhooks')) as { deliveries: { status: string }[] };
      return deliveries[0]?.status === 'failed' ? deliveries[0] : undefined;
    });
    expect(delivery).toMatchObject({ attempts: 1, lastError: 'HTTP 401', matched: false, reason: 'no_matching_account' });
  });

  it('never answers a 0005 multi-match by itself; the control API resolves it at once, once', async () => {
    const { sandbox, receiver } = await sandboxWith({ reconcileAfterMs: 50 });
    const { body } = await api(sandbox).eligibility('chase', { ...chaseCard, last4: '0005' });
    const reference = body.reference as string;
    // Its siblings resolve after 50 ms; this one is still pending well after that.
    const sibling = (await api(sandbox).eligibility('chase', { ...chaseCard, fingerprint: 'fp_sib', last4: '0003' })).body.reference as string;
    await eventually('the sibling to resolve', async () => (await api(sandbox).reconciliation('chase', sibling)).body.state === 'matched');
    expect((await api(sandbox).reconciliation('chase', reference)).body).toEqual({ state: 'pending' });

    const resolved = await api(sandbox).control(`reconciliations/${reference}`, { matched: false, reason: 'closed_by_agent' });
    expect(resolved).toEqual({ status: 200, body: { reference, partnerId: 'chase', state: 'rejected', reason: 'closed_by_agent', webhook: true } });
    expect((await api(sandbox).reconciliation('chase', reference)).body).toEqual({ state: 'rejected', reason: 'closed_by_agent' });
    await eventually('its webhook', async () => receiver.received.find((r) => (r.body as { reference: string }).reference === reference));
    expect((await api(sandbox).control(`reconciliations/${reference}`, { matched: true })).status).toBe(409);
    expect((await api(sandbox).control('reconciliations/mm-nope', { matched: true })).status).toBe(404);
  });

  it('still answers for a multi-match it issued before a restart', async () => {
    const first = await sandboxWith({ reconcileAfterMs: 60_000 });
    const reference = (await api(first.sandbox).eligibility('rbc', { ...rbcCard, last4: '0003' })).body.reference as string;
    await first.sandbox.stop();
    const second = await sandboxWith({ reconcileAfterMs: 0 });
    expect((await api(second.sandbox).reconciliation('rbc', reference)).status).toBe(200);
    await eventually('the restored multi-match to resolve', async () => (await api(second.sandbox).reconciliation('rbc', reference)).body.state === 'matched');
  });

  it('forgets reconciliations on reset', async () => {
    const { sandbox } = await sandboxWith({ reconcileAfterMs: 60_000 });
    const reference = (await api(sandbox).eligibility('chase', { ...chaseCard, last4: '0003' })).body.reference as string;
    await api(sandbox).control('reset');
    // A reference it can parse comes back as freshly issued: pending again.
    expect((await api(sandbox).reconciliation('chase', reference)).body).toEqual({ state: 'pending' });
  });
});

describe('partner sandbox: a partner added to the registry', () => {
  it('is served with no change to the sandbox', async () => {
    const northwind: PartnerIntegration = {
      partnerId: 'northwind',
      name: 'Northwind Credit Union',
      version: '1',
      matches: (card) => issuedWithin(card, [{ network: 'discover', from: '601100', to: '601109', countries: ['US'] }]),
      checkEligibility: async (httpClient, request) => toDecision(await requestEligibility('northwind', httpClient, request)),
      benefit: (linkedAt) => ({ startsAt: linkedAt, endsAt: null }),
      reconciliation: { via: 'webhook', deadlineMs: 86_400_000 },
      unlink: (httpClient, request) => requestUnlink('northwind', httpClient, request),
    };
    const registry = createPartnerRegistry([chase, { live: northwind, versions: [northwind] }]);
    const { sandbox, receiver } = await sandboxWith({ registry, reconcileAfterMs: 0 });
    const card: CardFacts = { paymentMethodId: 'pm_nw', fingerprint: 'fp_nw', bin: '601104', last4: '0003', country: 'US', network: 'discover', expMonth: 1, expYear: 2030 };

    const partner = registry.selectPartner(card)!;
    const decision = await partner.checkEligibility(createPartnerHttp(sandbox.url, partner.partnerId), { customerId: 'cus_nw', card });
    expect(decision).toMatchObject({ kind: 'multi_match', matchReference: expect.stringMatching(/^mm-northwind-/) as unknown });
    await eventually('the Northwind webhook', async () => receiver.received[0]);
    expect(receiver.received[0]).toMatchObject({ path: '/api/partner-webhooks/northwind', body: { partnerId: 'northwind', matched: true } });
  });
});
