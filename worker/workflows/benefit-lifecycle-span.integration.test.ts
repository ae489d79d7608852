import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { Client } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionUpdate, searchAttributes, type CardFacts, type CardLinkInput, type LinkOutcome } from '../../server/temporal/contract.ts';
import { db } from '../../server/db/client.ts';
import { createCardLinkActivities, partnerHttpFor } from '../activities/card-link.ts';
import type { PartnerSandbox } from '../partner-sandbox/server.ts';
import { startSandboxOnFreePort } from '../partner-sandbox/testing.ts';
import { benefitLifecycleSweepWorkflow, cardLinkWorkflow } from './index.ts';
import { requiredEnv, startTimeSkippingEnv } from '../testing/temporal-test-env.ts';

/**
 * A subscription's whole benefit span on the time-skipping test server (a file of its own, so a test server of
 * its own), with the real activities, Postgres and the partner sandbox over HTTP: scheduled → active → lapsed by
 * the lifecycle sweep at skipped times, the one-live-subscription rule along the way, linking again after the lapse.
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

const subscriptionsOf = (customerId: string) => db().dashPassSubscription.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } });
const linkOf = (linkId: string) => db().membershipLink.findUniqueOrThrow({ where: { linkId } });

describe('a benefit over its whole span on the time-skipping test server', () => {
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

  /** Skips the test server's clock to `at` (plus a minute), then waits for the worker to act on what fired. */
  async function skipTo(at: Date): Promise<void> {
    const wait = at.getTime() + 60_000 - (await testEnv.currentTimeMs());
    if (wait > 0) await testEnv.sleep(wait);
  }

  it('RBC: scheduled until its start date, active from then, lapsed at its end; then the customer links again', async () => {
    const customerId = await newCustomer();
    const rbcCard = await storedCard(customerId, 'rbc');
    const afterpayCard = await storedCard(customerId, 'afterpay');

    await withWorker('rbc lifecycle', async (taskQueue) => {
      const linked = await link(taskQueue, customerId, rbcCard);
      expect(linked).toMatchObject({ status: 'linked', partnerId: 'rbc' });
      if (linked.status !== 'linked') throw new Error('not linked');
      const [subscription] = await subscriptionsOf(customerId);
      // RBC's benefit starts on the first of next month: until then it is scheduled, and it holds the slot.
      expect(subscription).toMatchObject({ subscriptionId: linked.subscriptionId, status: 'scheduled', activeCustomerId: customerId });
      expect(subscription!.startsAt.getTime()).toBeGreaterThan(await testEnv.currentTimeMs());
      expect(subscription!.startsAt.getUTCDate()).toBe(1);
      const endsAt = subscription!.endsAt!;

      // A scheduled benefit is live: a second partner's card is declined meanwhile.
      expect(await link(taskQueue, customerId, afterpayCard)).toEqual({ status: 'not_eligible', partnerId: 'afterpay', reason: 'customer_already_subscribed' });

      const sweep = () => plain.workflow.execute(benefitLifecycleSweepWorkflow, { workflowId: `sweep-${randomUUID()}`, taskQueue, args: [{ customerId }] });
      // A sweep before the start date changes nothing.
      expect(await sweep()).toEqual({ started: 0, lapsed: 0 });

      await skipTo(subscription!.startsAt);
      expect(await sweep()).toEqual({ started: 1, lapsed: 0 });
      expect(await subscriptionsOf(customerId)).toMatchObject([{ status: 'active', activeCustomerId: customerId }]);
      expect((await linkOf(linked.linkId)).status).toBe('active');

      await skipTo(endsAt);
      expect(await sweep()).toEqual({ started: 0, lapsed: 1 });
      const [lapsed] = await subscriptionsOf(customerId);
      // Lapsed at its end date, not when the sweep happened to run; the slot is free and the link ended.
      expect(lapsed).toMatchObject({ status: 'lapsed', activeCustomerId: null, endedAt: endsAt, endedReason: 'benefit_lapsed' });
      expect(await linkOf(linked.linkId)).toMatchObject({ status: 'ended', endedReason: 'benefit_lapsed' });

      // Later sweeps: nothing is due, so nothing changes, however often they run.
      for (let run = 0; run < 2; run++) {
        expect(await plain.workflow.execute(benefitLifecycleSweepWorkflow, { workflowId: `sweep-${randomUUID()}`, taskQueue, args: [{ customerId }] })).toEqual({ started: 0, lapsed: 0 });
      }
      expect(await subscriptionsOf(customerId)).toMatchObject([{ status: 'lapsed', endedAt: endsAt }]);

      // A lapsed customer can link again, the same card too: its ended link is reopened with new dates, and a new
      // subscription is scheduled from the next first of the month.
      const relinked = await link(taskQueue, customerId, rbcCard);
      expect(relinked).toMatchObject({ status: 'linked', partnerId: 'rbc', linkId: linked.linkId });
      expect(await linkOf(linked.linkId)).toMatchObject({ status: 'active', endedReason: null });
      const fresh = (await subscriptionsOf(customerId)).find((row) => row.status !== 'lapsed');
      expect(fresh).toMatchObject({ status: 'scheduled', activeCustomerId: customerId });
      expect(fresh!.startsAt.getTime()).toBeGreaterThanOrEqual(endsAt.getTime());
      expect(fresh!.subscriptionId).not.toBe(linked.subscriptionId);
    });
  }, 180_000);
});
