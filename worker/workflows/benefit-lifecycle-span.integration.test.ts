import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benefitLifecycleSweepWorkflow } from './index.ts';
import { linkOf, newCustomer, startBenefitLifecycleStack, storedCard, subscriptionsOf, type BenefitLifecycleStack } from '../testing/benefit-lifecycle-stack.ts';

/**
 * A subscription's whole benefit span on the time-skipping test server (a file of its own, so a test server of
 * its own), with the real activities, Postgres and the partner sandbox over HTTP: scheduled → active → lapsed by
 * the lifecycle sweep at skipped times, the one-live-subscription rule along the way, linking again after the lapse.
 */

describe('a benefit over its whole span on the time-skipping test server', () => {
  let stack: BenefitLifecycleStack;
  let testEnv: TestWorkflowEnvironment;
  let plain: Client;

  beforeAll(async () => {
    stack = await startBenefitLifecycleStack();
    ({ testEnv, plain } = stack);
  }, 120_000);
  afterAll(() => stack?.stop());

  async function withWorker<T>(_title: string, body: (taskQueue: string) => Promise<T>): Promise<T> {
    return body(stack.taskQueue);
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
      const linked = await stack.link(customerId, rbcCard);
      expect(linked).toMatchObject({ status: 'linked', partnerId: 'rbc' });
      if (linked.status !== 'linked') throw new Error('not linked');
      const [subscription] = await subscriptionsOf(customerId);
      // RBC's benefit starts on the first of next month: until then it is scheduled, and it holds the slot.
      expect(subscription).toMatchObject({ subscriptionId: linked.subscriptionId, status: 'scheduled', activeCustomerId: customerId });
      expect(subscription!.startsAt.getTime()).toBeGreaterThan(await testEnv.currentTimeMs());
      expect(subscription!.startsAt.getUTCDate()).toBe(1);
      const endsAt = subscription!.endsAt!;

      // A scheduled benefit is live: a second partner's card is declined meanwhile.
      expect(await stack.link(customerId, afterpayCard)).toEqual({ status: 'not_eligible', partnerId: 'afterpay', reason: 'customer_already_subscribed' });

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
      const relinked = await stack.link(customerId, rbcCard);
      expect(relinked).toMatchObject({ status: 'linked', partnerId: 'rbc', linkId: linked.linkId });
      expect(await linkOf(linked.linkId)).toMatchObject({ status: 'active', endedReason: null });
      const fresh = (await subscriptionsOf(customerId)).find((row) => row.status !== 'lapsed');
      expect(fresh).toMatchObject({ status: 'scheduled', activeCustomerId: customerId });
      expect(fresh!.startsAt.getTime()).toBeGreaterThanOrEqual(endsAt.getTime());
      expect(fresh!.subscriptionId).not.toBe(linked.subscriptionId);
    });
  }, 180_000);
});
