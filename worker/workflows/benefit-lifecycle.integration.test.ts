import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardUnlinkWorkflowId, unlinkUpdate } from '../../server/temporal/contract.ts';
import { db } from '../../server/db/client.ts';
import type { PartnerSandbox } from '../partner-sandbox/server.ts';
import { benefitLifecycleSweepWorkflow, cardUnlinkWorkflow } from './index.ts';
import { linkOf, newCustomer, startBenefitLifecycleStack, storedCard, subscriptionsOf, type BenefitLifecycleStack } from '../testing/benefit-lifecycle-stack.ts';

/**
 * On the time-skipping test server, with the real activities, Postgres and the partner sandbox over HTTP: the
 * lifecycle sweep (idempotent, from the dates), and unlinking (link, subscription and partner). The whole
 * benefit span is in benefit-lifecycle-span.integration.test.ts.
 */

/** What the sandbox was asked to unlink, in order: the HTTP status of each call. */
async function unlinkCalls(sandbox: PartnerSandbox, partnerId: string): Promise<(number | 'hung')[]> {
  const { requests } = (await (await fetch(`${sandbox.url}/_control/requests`)).json()) as { requests: { path: string; status: number | 'hung' }[] };
  return requests.filter((request) => request.path === `/partners/${partnerId}/unlinks`).map((request) => request.status);
}

describe('benefit lifecycle and unlink on the time-skipping test server', () => {
  let stack: BenefitLifecycleStack;
  let testEnv: TestWorkflowEnvironment;
  let plain: Client;
  let sandbox: PartnerSandbox;

  beforeAll(async () => {
    stack = await startBenefitLifecycleStack();
    ({ testEnv, plain, sandbox } = stack);
  }, 120_000);
  afterAll(() => stack?.stop());

  async function withWorker<T>(_title: string, body: (taskQueue: string) => Promise<T>): Promise<T> {
    return body(stack.taskQueue);
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
      const linked = await stack.link(customerId, card);
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
      const linked = await stack.link(customerId, card);
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
