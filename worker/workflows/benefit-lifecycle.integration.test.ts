import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { Client } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decisionUpdate,
  cardUnlinkWorkflowId,
  unlinkUpdate,
  searchAttributes,
  type CardFacts,
  type CardLinkInput,
  type LinkOutcome,
} from '../../server/temporal/contract.ts';
import { db } from '../../server/db/client.ts';
import { createCardLinkActivities, partnerHttpFor } from '../activities/card-link.ts';
import type { PartnerSandbox } from '../partner-sandbox/server.ts';
import { startSandboxOnFreePort } from '../partner-sandbox/testing.ts';
import { benefitLifecycleSweepWorkflow, cardLinkWorkflow, cardUnlinkWorkflow } from './index.ts';
import { requiredEnv, startTimeSkippingEnv } from '../testing/temporal-test-env.ts';

/**
 * On the time-skipping test server, with the real activities, Postgres and the partner sandbox over HTTP: the
 * lifecycle sweep (idempotent, from the dates), and unlinking (link, subscription and partner). The whole
 * benefit span is in benefit-lifecycle-span.integration.test.ts.
 */

const workflowsPath = fileURLToPath(new URL('./index.ts', import.meta.url));

const PARTNER_CARDS = {
  rbc: { bin: '450061', country: 'CA', network: 'visa' },
  afterpay: { bin: '535317', country: 'US', network: 'mastercard' },
  chase: { bin: '414721', country: 'US', network: 'visa' },
} as const;

async function newCustomer(): Promise<string> {
  const customerId = `it-life-${randomUUID().slice(0, 12)}`;
  await db().customer.create({ data: { customerId, name: 'Lifecycle Test', email: `${customerId}@example.com`, country: 'CA' } });
  return customerId;
}

async function storedCard(customerId: string, partner: keyof typeof PARTNER_CARDS): Promise<CardFacts> {
  const suffix = randomUUID().slice(0, 8);
  const card: CardFacts = { paymentMethodId: `pm_${suffix}`, fingerprint: `fp_${suffix}${customerId.slice(-6)}`, last4: '4242', expMonth: 12, expYear: 2099, ...PARTNER_CARDS[partner] };
  await db().paymentMethod.create({ data: { ...card, customerId } });
  return card;
}

/** What the sandbox was asked to unlink, in order: the HTTP status of each call. */
async function unlinkCalls(sandbox: PartnerSandbox, partnerId: string): Promise<(number | 'hung')[]> {
  const { requests } = (await (await fetch(`${sandbox.url}/_control/requests`)).json()) as { requests: { path: string; status: number | 'hung' }[] };
  return requests.filter((request) => request.path === `/partners/${partnerId}/unlinks`).map((request) => request.status);
}

const subscriptionsOf = (customerId: string) => db().dashPassSubscription.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } });
const linkOf = (linkId: string) => db().membershipLink.findUniqueOrThrow({ where: { linkId } });

describe('benefit lifecycle and unlink on the time-skipping test server', () => {
  let testEnv: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;
  let sandbox: PartnerSandbox;
  /** A client whose waits do not let the test server skip time (testEnv.client's result() does). */
  let plain: Client;
  // One worker for the whole file: a workflow left waiting by an earlier test must
  // still find a worker when a later test skips time past it, or the test server never finishes skipping.
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `test-benefit-lifecycle-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    requiredEnv('DATABASE_URL');
    testEnv = await startTimeSkippingEnv();
    [bundle, sandbox] = await Promise.all([
      bundleWorkflowCode({ workflowsPath, logger: undefined }),
      startSandboxOnFreePort({ consoleUrl: 'http://127.0.0.1:9', reconcileAfterMs: 60 * 60 * 1000 }),
    ]);
    plain = new Client({ connection: testEnv.connection, namespace: testEnv.namespace ?? 'default' });
    await testEnv.connection.operatorService.addSearchAttributes({
      namespace: testEnv.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        Object.values(searchAttributes).map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
    await db().partner.createMany({
      data: [
        { partnerId: 'chase', name: 'Chase', liveVersion: '1' },
        { partnerId: 'rbc', name: 'RBC', liveVersion: '1' },
        { partnerId: 'afterpay', name: 'Afterpay', liveVersion: '1' },
      ],
      skipDuplicates: true,
    });
    worker = await Worker.create({
      connection: testEnv.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: createCardLinkActivities({ db: db(), partnerHttp: partnerHttpFor(sandbox.url) }),
    });
    running = worker.run();
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await sandbox?.stop();
    await testEnv?.teardown();
  });

  async function withWorker<T>(_title: string, body: (taskQueue: string) => Promise<T>): Promise<T> {
    return body(taskQueue);
  }

  /** Start, then the decision update (the Java test server has no Update-With-Start). Each call is a new evaluation. */
  async function link(taskQueue: string, customerId: string, card: CardFacts): Promise<LinkOutcome> {
    const input: CardLinkInput = { customerId, card, requestedBy: 'integration-test' };
    const handle = await testEnv.client.workflow.start(cardLinkWorkflow, { workflowId: `card-link:${customerId}:${card.fingerprint}.t${randomUUID().slice(0, 6)}`, taskQueue, args: [input] });
    // Not handle.result(): waiting on a result lets the test server skip time.
    return handle.executeUpdate(decisionUpdate);
  }

  it('the sweep starts and lapses a due subscription once, however often it runs', async () => {
    const customerId = await newCustomer();
    const card = await storedCard(customerId, 'chase');
    await withWorker('sweep', async (taskQueue) => {
      const now = await testEnv.currentTimeMs();
      const linkId = `link_${randomUUID()}`;
      await db().membershipLink.create({
        data: { linkId, customerId, paymentMethodId: card.paymentMethodId, partnerId: 'chase', status: 'active', workflowId: 'card-link:none', partnerReference: 'ref-x' },
      });
      const subscriptionId = `sub_${randomUUID()}`;
      const startsAt = new Date(now - 60_000);
      const endsAt = new Date(now + 2 * 86_400_000);
      await db().dashPassSubscription.create({ data: { subscriptionId, customerId, linkId, status: 'scheduled', activeCustomerId: customerId, startsAt, endsAt } });

      const sweep = () => plain.workflow.execute(benefitLifecycleSweepWorkflow, { workflowId: `sweep-${randomUUID()}`, taskQueue, args: [{ customerId }] });
      expect(await sweep()).toEqual({ started: 1, lapsed: 0 });
      expect(await db().dashPassSubscription.findUniqueOrThrow({ where: { subscriptionId } })).toMatchObject({ status: 'active' });
      expect(await sweep()).toEqual({ started: 0, lapsed: 0 });
      expect(await db().dashPassSubscription.findUniqueOrThrow({ where: { subscriptionId } })).toMatchObject({ status: 'active', endedAt: null });

      await testEnv.sleep(3 * 86_400_000);
      expect(await sweep()).toEqual({ started: 0, lapsed: 1 });
      expect(await sweep()).toEqual({ started: 0, lapsed: 0 });
      expect(await db().dashPassSubscription.findUniqueOrThrow({ where: { subscriptionId } })).toMatchObject({ status: 'lapsed', endedAt: endsAt, activeCustomerId: null });
      expect(await linkOf(linkId)).toMatchObject({ status: 'ended', endedReason: 'benefit_lapsed' });
    });
  }, 120_000);

  it('unlink ends the link and the subscription, tells the partner once, and a second unlink answers already_unlinked', async () => {
    const customerId = await newCustomer();
    const card = await storedCard(customerId, 'chase');
    await withWorker('unlink', async (taskQueue) => {
      const linked = await link(taskQueue, customerId, card);
      if (linked.status !== 'linked') throw new Error(`not linked: ${JSON.stringify(linked)}`);
      const unlink = async () => {
        const handle = await testEnv.client.workflow.start(cardUnlinkWorkflow, {
          workflowId: cardUnlinkWorkflowId(linked.linkId),
          taskQueue,
          args: [{ linkId: linked.linkId, reason: 'customer removed the card', requestedBy: 'integration-test' }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        });
        const outcome = await handle.executeUpdate(unlinkUpdate);
        return { outcome, result: await handle.result() };
      };

      const first = await unlink();
      expect(first.outcome).toMatchObject({ status: 'unlinked', linkId: linked.linkId, customerId, partnerId: 'chase', endedSubscriptions: 1, endedReason: 'unlinked: customer removed the card' });
      expect(first.result.partnerAcknowledged).toBe('unlinked');
      expect(await linkOf(linked.linkId)).toMatchObject({ status: 'ended', endedReason: 'unlinked: customer removed the card' });
      expect(await subscriptionsOf(customerId)).toMatchObject([{ status: 'ended', activeCustomerId: null, endedReason: 'unlinked: customer removed the card' }]);

      const second = await unlink();
      expect(second.outcome).toMatchObject({ status: 'already_unlinked', endedSubscriptions: 0, endedReason: 'unlinked: customer removed the card' });
      expect(second.result.partnerAcknowledged).toBe('not_needed');
      expect(await unlinkCalls(sandbox, 'chase')).toEqual([200]);

      // The sweep never revives an ended subscription.
      expect(await plain.workflow.execute(benefitLifecycleSweepWorkflow, { workflowId: `sweep-${randomUUID()}`, taskQueue, args: [{ customerId }] })).toEqual({ started: 0, lapsed: 0 });
      expect(await subscriptionsOf(customerId)).toMatchObject([{ status: 'ended' }]);
    });
  }, 120_000);

  it('unlink keeps telling a partner that is down until it answers', async () => {
    const customerId = await newCustomer();
    const card = await storedCard(customerId, 'chase');
    await withWorker('unlink retry', async (taskQueue) => {
      const linked = await link(taskQueue, customerId, card);
      if (linked.status !== 'linked') throw new Error('not linked');
      await fetch(`${sandbox.url}/_control/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partnerId: 'chase', failNext: 3 }) });
      const handle = await testEnv.client.workflow.start(cardUnlinkWorkflow, {
        workflowId: cardUnlinkWorkflowId(linked.linkId),
        taskQueue,
        args: [{ linkId: linked.linkId, reason: 'closed account', requestedBy: 'integration-test' }],
      });
      // Ended here at once, whatever the partner does.
      expect(await handle.executeUpdate(unlinkUpdate)).toMatchObject({ status: 'unlinked' });
      expect(await linkOf(linked.linkId)).toMatchObject({ status: 'ended' });
      expect((await handle.result()).partnerAcknowledged).toBe('unlinked');
      expect((await unlinkCalls(sandbox, 'chase')).slice(-4)).toEqual([503, 503, 503, 200]);
    });
  }, 120_000);
});
