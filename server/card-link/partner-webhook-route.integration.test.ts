import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POST } from '../../app/api/partner-webhooks/[partnerId]/route.ts';
import type { PartnerSandbox } from '../../worker/partner-sandbox/server.ts';
import { closeServer, listenOnFreePort, startSandboxOnFreePort } from '../../worker/partner-sandbox/testing.ts';
import { db } from '../db/client.ts';
import { env } from '../env.ts';
import { eventually } from '../testing/eventually.ts';
import { routeServer } from '../testing/route-server.ts';

/**
 * The partner sandbox's real webhooks into the console's own route handler over HTTP: Chase has a secret on both
 * sides; Afterpay signs with one the console does not have, so the console refuses it.
 */
// Before any import reads (and caches) the env.
const chaseSecret = vi.hoisted(() => {
  const value = `it-chase-${Date.now()}-${Math.random().toString(36).slice(2)}-0123456789`;
  process.env.PARTNER_WEBHOOK_SECRETS = `chase=${value}`;
  return value;
});

let sandbox: PartnerSandbox;
let server: Server;
const customerId = `cus_webhook_${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  expect([...env().PARTNER_WEBHOOK_SECRETS.keys()]).toEqual(['chase']);
  server = routeServer((request, message) => {
    const partnerId = decodeURIComponent(/^\/api\/partner-webhooks\/([^/?]+)/.exec(message.url ?? '')?.[1] ?? '');
    return POST(request, { params: Promise.resolve({ partnerId }) });
  });
  const port = await listenOnFreePort(server);
  sandbox = await startSandboxOnFreePort({
    consoleUrl: `http://127.0.0.1:${port}`,
    reconcileAfterMs: 0,
    webhookSecrets: new Map([
      ['chase', chaseSecret],
      ['afterpay', `it-afterpay-${randomUUID()}`],
    ]),
    webhookRetry: { attempts: 2, baseDelayMs: 10 },
  });
});

afterAll(async () => {
  await sandbox?.stop();
  if (server) await closeServer(server);
  await db().auditLog.deleteMany({ where: { action: 'partner_webhook.received', target: { contains: customerId } } });
});

async function multiMatch(partnerId: string, bin: string, network: string): Promise<string> {
  const res = await fetch(`${sandbox.url}/partners/${partnerId}/eligibility`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId, fingerprint: `fp_${partnerId}`, bin, last4: '0003', country: 'US', network }),
  });
  const body = (await res.json()) as { reference: string };
  return body.reference;
}

const deliveryFor = async (reference: string) => {
  const { deliveries } = (await (await fetch(`${sandbox.url}/_control/webhooks`)).json()) as {
    deliveries: { reference: string; status: string; lastError?: string; attempts: number }[];
  };
  const delivery = deliveries.find((candidate) => candidate.reference === reference);
  return delivery && delivery.status !== 'pending' ? delivery : undefined;
};

const auditOf = (partnerId: string, reference: string) =>
  db().auditLog.findMany({ where: { action: 'partner_webhook.received', target: `${partnerId}:${reference}` }, select: { actor: true, details: true } });

describe('partner webhooks over HTTP, signed by the sandbox and verified by the console', () => {
  it("accepts a partner's signature made with its own secret (the reference is then looked up, and audited)", async () => {
    const reference = await multiMatch('chase', '414722', 'visa');
    const delivery = await eventually('the Chase webhook to be answered', () => deliveryFor(reference));
    // Past the signature: no link has this reference in this test, so the console answers 404 and the sandbox retries.
    expect(delivery).toMatchObject({ status: 'failed', lastError: 'HTTP 404', attempts: 2 });
    const audited = await auditOf('chase', reference);
    expect(audited).toHaveLength(2);
    expect(audited[0]).toEqual({ actor: 'partner:chase', details: { partnerId: 'chase', outcome: 'unknown_reference', status: 404, reference } });
  });

  it('refuses every webhook of a partner the console has no secret for, once (401 is final), and audits it', async () => {
    const reference = await multiMatch('afterpay', '535318', 'mastercard');
    const delivery = await eventually('the Afterpay webhook to be answered', () => deliveryFor(reference));
    expect(delivery).toMatchObject({ status: 'failed', lastError: 'HTTP 401', attempts: 1 });
    const refused = await db().auditLog.findMany({
      where: { action: 'partner_webhook.received', actor: 'partner:afterpay', details: { path: ['outcome'], equals: 'refused_no_secret' } },
      orderBy: { id: 'desc' },
      take: 1,
    });
    expect(refused).toHaveLength(1);
  });
});
