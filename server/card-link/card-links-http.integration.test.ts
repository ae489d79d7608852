import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POST } from '../../app/api/card-links/route.ts';
import { createCardLinkActivities, partnerHttpFor } from '../../worker/activities/card-link.ts';
import type { PartnerSandbox } from '../../worker/partner-sandbox/server.ts';
import { closeServer, listenOnFreePort, startSandboxOnFreePort } from '../../worker/partner-sandbox/testing.ts';
import { db } from '../db/client.ts';
import { env } from '../env.ts';
import { cleanupAll } from '../testing/cleanup.ts';
import { routeServer } from '../testing/route-server.ts';
import { temporal } from '../temporal/client.ts';
import { TASK_QUEUES } from '../temporal/contract.ts';

/**
 * The service API over real HTTP: the console's own route handler (`POST /api/card-links`, bearer token) served
 * by a Node HTTP server, a card-link worker on the console's task queue, Postgres and the partner sandbox.
 */
// Before any import reads (and caches) the env.
const token = vi.hoisted(() => {
  const value = `it-card-links-http-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  process.env.CARD_LINK_API_TOKEN = value;
  return value;
});

let sandbox: PartnerSandbox;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  expect(env().CARD_LINK_API_TOKEN).toBe(token);
  sandbox = await startSandboxOnFreePort({ consoleUrl: 'http://127.0.0.1:9', reconcileAfterMs: 60 * 60 * 1000 });
  nativeConnection = await NativeConnection.connect({ address: env().TEMPORAL_ADDRESS });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: TASK_QUEUES.cardLink,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../../worker/workflows/index.ts', import.meta.url)), logger: undefined }),
    activities: createCardLinkActivities({ db: db(), partnerHttp: partnerHttpFor(sandbox.url) }),
  });
  running = worker.run();
  server = routeServer((request) => POST(request));
  baseUrl = `http://127.0.0.1:${await listenOnFreePort(server)}`;
});
afterAll(async () => {
  await cleanupAll('card-links-http', [
    () => (server ? closeServer(server) : Promise.resolve()),
    async () => {
      worker?.shutdown();
      await running;
    },
    () => nativeConnection?.close(),
    () => sandbox?.stop(),
  ]);
});

describe('POST /api/card-links over HTTP', () => {
  it('makes exactly one link and one decision for 50 concurrent identical requests', async () => {
    const customerId = `it-http-${randomUUID().slice(0, 12)}`;
    await db().customer.create({ data: { customerId, name: 'Integration Test', email: `${customerId}@example.com`, country: 'US' } });
    const body = JSON.stringify({
      customerId,
      card: { fingerprint: `fp_${randomUUID().replace(/-/g, '')}`, bin: '414721', last4: '4242', country: 'US', network: 'visa', expMonth: 12, expYear: new Date().getUTCFullYear() + 2 },
    });

    // As the API tells a client to: a 504 (decision not in time, on a loaded machine) is sent again, and joins the same run.
    const send = async (retriesLeft = 3): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await fetch(`${baseUrl}/api/card-links`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      const answer = { status: response.status, body: (await response.json()) as Record<string, unknown> };
      return answer.status === 504 && retriesLeft > 0 ? send(retriesLeft - 1) : answer;
    };
    const answers = await Promise.all(Array.from({ length: 50 }, () => send()));

    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 50 }, () => 200));
    const decisions = new Set(answers.map((answer) => JSON.stringify(answer.body)));
    expect(decisions.size).toBe(1);
    const [decision] = answers;
    expect(decision?.body).toMatchObject({ status: 'linked', partnerId: 'chase' });
    expect(await db().membershipLink.findMany({ where: { customerId } })).toMatchObject([{ linkId: decision?.body.linkId, workflowId: decision?.body.workflowId }]);
    expect(await db().dashPassSubscription.count({ where: { customerId } })).toBe(1);
    expect(await db().paymentMethod.count({ where: { customerId } })).toBe(1);
    let runs = 0;
    for await (const execution of temporal().workflow.list({ query: `CustomerId = '${customerId}'` })) if (execution.type === 'cardLinkWorkflow') runs += 1;
    expect(runs).toBe(1);
  });

  it('refuses a request without the bearer token before doing anything', async () => {
    const response = await fetch(`${baseUrl}/api/card-links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
  });
});
