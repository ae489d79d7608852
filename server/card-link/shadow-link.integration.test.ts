import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCardLinkActivities, partnerHttpFor } from '../../worker/activities/card-link.ts';
import type { PartnerSandbox } from '../../worker/partner-sandbox/server.ts';
import { startSandboxOnFreePort } from '../../worker/partner-sandbox/testing.ts';
import { db } from '../db/client.ts';
import { env } from '../env.ts';
import { cleanupAll } from '../testing/cleanup.ts';
import { linkCard, type LinkCardDeps } from './link-card.ts';
import { testCardRequest } from '../testing/card-requests.ts';
import { addMonthsUtc, firstOfNextMonthUtc } from './partners/benefit-dates.ts';
import { chaseV1 } from './partners/chase.ts';
import type { PartnerIntegration } from './partners/partner.ts';
import { createPartnerRegistry } from './partners/registry.ts';
import { recentMismatches, shadowOverview } from './shadow.ts';

/**
 * Shadow mode end to end on Temporal, Postgres and the partner sandbox: a partner of this test alone (its own
 * partners row, so no other test's links are shadowed) whose versions differ in their benefit terms only. Its
 * eligibility calls go to the sandbox's Chase API, which answers by last4.
 */
const partnerId = `shadowtest-${randomUUID().slice(0, 8)}`;
const base: PartnerIntegration = { ...chaseV1, partnerId, name: 'Shadow Test', matches: (card) => card.bin === '414721' && card.country === 'US' };
const v1: PartnerIntegration = { ...base, version: '1', benefit: (at) => ({ startsAt: at, endsAt: addMonthsUtc(at, 12) }) };
/** Starts on the first of next month, twelve months long: other start and end dates, the same term. */
const v2: PartnerIntegration = { ...base, version: '2', benefit: (at) => ({ startsAt: firstOfNextMonthUtc(at), endsAt: addMonthsUtc(firstOfNextMonthUtc(at), 12) }) };
/** Same start, three months: another end date and benefit term. */
const v3: PartnerIntegration = { ...base, version: '3', benefit: (at) => ({ startsAt: at, endsAt: addMonthsUtc(at, 3) }) };
const registry = createPartnerRegistry([{ live: v1, versions: [v1, v2, v3] }]);

let sandbox: PartnerSandbox;
let nativeConnection: NativeConnection;
let connection: Connection;
let worker: Worker;
let running: Promise<void>;
let deps: LinkCardDeps;

beforeAll(async () => {
  const { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace } = env();
  sandbox = await startSandboxOnFreePort({ consoleUrl: 'http://127.0.0.1:9', reconcileAfterMs: 60 * 60 * 1000 });
  nativeConnection = await NativeConnection.connect({ address });
  connection = await Connection.connect({ address });
  const taskQueue = `test-shadow-link-${randomUUID().slice(0, 8)}`;
  const chaseHttp = partnerHttpFor(sandbox.url)('chase');
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../../worker/workflows/index.ts', import.meta.url)), logger: undefined }),
    activities: createCardLinkActivities({ db: db(), partnerHttp: () => chaseHttp, registry }),
  });
  running = worker.run();
  await db().partner.create({ data: { partnerId, name: 'Shadow Test', liveVersion: '1' } });
  deps = { db: db(), temporal: new Client({ connection, namespace }), decisionTimeoutMs: 20_000, taskQueue };
});
afterAll(async () => {
  await cleanupAll('shadow-link', [
    async () => {
      worker?.shutdown();
      await running;
    },
    () => nativeConnection?.close(),
    () => connection?.close(),
    () => sandbox?.stop(),
  ]);
});

async function link(last4: string) {
  const customerId = `it-shadow-link-${randomUUID().slice(0, 12)}`;
  await db().customer.create({ data: { customerId, name: 'Integration Test', email: `${customerId}@example.com`, country: 'US' } });
  const result = await linkCard(deps, testCardRequest(customerId, { last4 }));
  await deps.temporal.workflow.getHandle(result.workflowId).result();
  return { customerId, result };
}

const comparisonOf = (customerId: string) => db().shadowComparison.findFirstOrThrow({ where: { customerId } });

describe('shadow mode compares links', () => {
  it('records the dates the candidate would have given, by kind, and writes nothing of its own', async () => {
    await db().partner.update({ where: { partnerId }, data: { candidateVersion: '2' } });
    const { customerId, result } = await link('4242');
    expect(result.status).toBe('linked');
    const live = await db().membershipLink.findFirstOrThrow({ where: { customerId } });
    const row = await comparisonOf(customerId);
    expect(row).toMatchObject({ partnerId, liveVersion: '1', candidateVersion: '2', matched: false, mismatchKinds: ['start_date', 'end_date'], workflowId: result.workflowId });
    const startsAt = firstOfNextMonthUtc(live.benefitStartsAt!);
    expect(row.liveLink).toMatchObject({ partnerId, decision: 'eligible', linkStatus: 'active', benefitStartsAt: live.benefitStartsAt!.toISOString(), benefitEndsAt: live.benefitEndsAt!.toISOString() });
    expect(row.candidateLink).toMatchObject({ partnerId, decision: 'eligible', linkStatus: 'active', benefitStartsAt: startsAt.toISOString(), benefitEndsAt: addMonthsUtc(startsAt, 12).toISOString() });
    expect(await db().membershipLink.count({ where: { customerId } })).toBe(1);
    expect(await db().dashPassSubscription.count({ where: { customerId } })).toBe(1);
  });

  it('names a shorter benefit as end date and benefit, skips a candidate equal to live, and matches a decline both versions agree on', async () => {
    await db().partner.update({ where: { partnerId }, data: { candidateVersion: '3' } });
    const shorter = await link('4242');
    expect((await comparisonOf(shorter.customerId)).mismatchKinds).toEqual(['end_date', 'benefit']);

    await db().partner.update({ where: { partnerId }, data: { candidateVersion: '1' } });
    // A candidate equal to the live version is not run at all (selectPartner skips it).
    const same = await link('4242');
    expect(await db().shadowComparison.count({ where: { customerId: same.customerId } })).toBe(0);

    await db().partner.update({ where: { partnerId }, data: { candidateVersion: '3' } });
    const declined = await link('0002');
    expect(declined.result.status).toBe('not_eligible');
    expect(await comparisonOf(declined.customerId)).toMatchObject({ matched: true, mismatchKinds: [], liveLink: { linkStatus: null }, candidateLink: { linkStatus: null } });
  });

  it('shows the kinds per version pair and on each recent mismatch', async () => {
    const overview = (await shadowOverview(db())).find((status) => status.partnerId === partnerId);
    const pairs = Object.fromEntries((overview?.versions ?? []).map((pair) => [pair.candidateVersion, pair]));
    expect(pairs['2']).toMatchObject({ mismatches: 1, kinds: { start_date: 1, end_date: 1 } });
    expect(pairs['3']).toMatchObject({ comparisons: 2, mismatches: 1, kinds: { end_date: 1, benefit: 1 } });
    const [latest] = await recentMismatches(db(), partnerId, 1, { candidateVersion: '3' });
    expect(latest).toMatchObject({ mismatchKinds: ['end_date', 'benefit'], liveLink: { linkStatus: 'active' }, candidateLink: { linkStatus: 'active' } });
  });
});
