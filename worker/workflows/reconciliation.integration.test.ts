import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cardLinkWorkflowId,
  decisionUpdate,
  progressQuery,
  reconciliationAnswerSignal,
  reconciliationWorkflowId,
  type CardFacts,
  type CardLinkInput,
  type LinkOutcome,
} from '../../server/temporal/contract.ts';
import type { EligibilityAnswer, ReconciliationState } from '../../server/card-link/partners/partner-api.ts';
import type { PartnerHttp } from '../../server/card-link/partners/partner.ts';
import { db } from '../../server/db/client.ts';
import { eventually } from '../../server/testing/eventually.ts';
import { createCardLinkActivities } from '../activities/card-link.ts';
import { cardLinkWorkflow, RECONCILIATION_DEADLINE_REASON, reconciliationWorkflow } from './index.ts';
import { ensureTestPartners, TEST_PARTNER_CARDS, type TestPartner } from '../testing/partner-fixtures.ts';
import { registerSearchAttributes, requiredEnv, startTimeSkippingEnv, taskQueueFor } from '../testing/temporal-test-env.ts';

/**
 * Multi-day reconciliations on the time-skipping test server, against the real database and activities. Only
 * the partner's HTTP API is scripted (per customer), so the workflow can be made to wait days for an answer.
 */

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const workflowsPath = fileURLToPath(new URL('./index.ts', import.meta.url));

/** What the scripted partner answers one customer: an eligibility answer, then its polls in order (the last repeats). */
interface Script {
  eligibility: EligibilityAnswer;
  polls?: ReconciliationState[];
  /** Filled in as the partner is called. */
  pollCount: number;
}

/** A PartnerHttp that answers from per-customer scripts, as the partner's API would. */
function scriptedPartners() {
  const byCustomer = new Map<string, Script>();
  const byReference = new Map<string, Script>();
  const http: PartnerHttp = {
    async post<T>(path: string, body: unknown): Promise<T> {
      if (path !== '/eligibility') throw new Error(`unexpected POST ${path}`);
      const script = byCustomer.get((body as { customerId: string }).customerId);
      if (!script) throw new Error('no script for this customer');
      return script.eligibility as T;
    },
    async get<T>(path: string): Promise<T> {
      const reference = decodeURIComponent(path.replace('/reconciliations/', ''));
      const script = byReference.get(reference);
      if (!script) throw new Error(`unexpected GET ${path}`);
      const polls = script.polls ?? [{ state: 'pending' }];
      const answer = polls[Math.min(script.pollCount, polls.length - 1)];
      script.pollCount += 1;
      return answer as T;
    },
  };
  return {
    http,
    script(customerId: string, eligibility: EligibilityAnswer, polls?: ReconciliationState[]): Script {
      const script: Script = { eligibility, polls, pollCount: 0 };
      byCustomer.set(customerId, script);
      if ('reference' in eligibility) byReference.set(eligibility.reference, script);
      return script;
    },
  };
}

/** A new customer with one stored card of `partner`: the rows the workflow's foreign keys need. */
async function customerWithCard(partner: TestPartner, last4 = '4242'): Promise<CardLinkInput> {
  const customerId = `it-recon-${randomUUID().slice(0, 12)}`;
  const { bin, country, network } = TEST_PARTNER_CARDS[partner];
  const card: CardFacts = { paymentMethodId: `pm_${customerId}`, fingerprint: `fp_${customerId}`, bin, last4, country, network, expMonth: 12, expYear: 2099 };
  await db().customer.create({ data: { customerId, name: 'Reconciliation Test', email: `${customerId}@example.com`, country } });
  await db().paymentMethod.create({ data: { ...card, customerId } });
  return { customerId, card, requestedBy: 'integration-test' };
}

async function rowsOf(customerId: string) {
  const [links, subscriptions] = await Promise.all([
    db().membershipLink.findMany({ where: { customerId } }),
    db().dashPassSubscription.findMany({ where: { customerId } }),
  ]);
  return { links, subscriptions };
}

describe('reconciliation on the time-skipping test server', () => {
  let testEnv: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;
  const partners = scriptedPartners();

  beforeAll(async () => {
    requiredEnv('DATABASE_URL');
    testEnv = await startTimeSkippingEnv();
    bundle = await bundleWorkflowCode({ workflowsPath, logger: undefined });
    await registerSearchAttributes(testEnv);
    await ensureTestPartners();
  });
  afterAll(async () => {
    await testEnv?.teardown();
  });

  /** Runs a worker for the test's own queue while `body` runs. */
  type Start = (input: CardLinkInput) => Promise<{ decision: LinkOutcome; workflowId: string }>;
  async function withWorker<T>(title: string, body: (start: Start, taskQueue: string) => Promise<T>) {
    const taskQueue = taskQueueFor(title);
    const worker = await Worker.create({
      connection: testEnv.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: createCardLinkActivities({ db: db(), partnerHttp: () => partners.http }),
    });
    // The Java test server has no Update-With-Start (ExecuteMultiOperation): start, then the same update.
    const start = async (input: CardLinkInput) => {
      const workflowId = cardLinkWorkflowId(input.customerId, input.card.fingerprint);
      const handle = await testEnv.client.workflow.start(cardLinkWorkflow, { workflowId, taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' });
      const decision = await handle.executeUpdate(decisionUpdate);
      return { decision, workflowId };
    };
    return worker.runUntil(body(start, taskQueue));
  }

  it('waits days for a webhook answer (Chase), then activates the link and the provisional subscription', async () => {
    const input = await customerWithCard('chase', '0003');
    partners.script(input.customerId, { decision: 'multi_match', reference: `mm-${input.customerId}`, candidates: 2 });

    const { result, decision, childStartedAt, childClosedAt } = await withWorker('chase webhook', async (start) => {
      const { decision, workflowId } = await start(input);
      // Pending right away: a provisional benefit while Chase reconciles.
      const pending = await rowsOf(input.customerId);
      expect(pending.links).toMatchObject([{ status: 'pending_reconciliation', partnerReference: `mm-${input.customerId}` }]);
      expect(pending.subscriptions).toMatchObject([{ status: 'provisional', activeCustomerId: input.customerId }]);

      await testEnv.sleep(3 * DAY_MS);
      const child = testEnv.client.workflow.getHandle(reconciliationWorkflowId(workflowId));
      await child.signal(reconciliationAnswerSignal, { matched: true, resolvedBy: 'partner:chase' });
      const result = await testEnv.client.workflow.getHandle<typeof cardLinkWorkflow>(workflowId).result();
      const described = await child.describe();
      return { result, decision, childStartedAt: described.startTime.getTime(), childClosedAt: described.closeTime!.getTime() };
    });

    expect(decision).toMatchObject({ status: 'pending_reconciliation', partnerId: 'chase', matchReference: `mm-${input.customerId}` });
    expect(result).toMatchObject({ status: 'linked', partnerId: 'chase' });
    expect(childClosedAt - childStartedAt).toBeGreaterThanOrEqual(3 * DAY_MS);
    expect(childClosedAt - childStartedAt).toBeLessThan(7 * DAY_MS);
    const after = await rowsOf(input.customerId);
    expect(after.links).toMatchObject([{ status: 'active', endedReason: null }]);
    expect(after.subscriptions).toMatchObject([{ status: 'active', activeCustomerId: input.customerId, endedAt: null }]);
    expect(result.status === 'linked' && result.subscriptionId).toBe(after.subscriptions[0]!.subscriptionId);
  });

  it('polls RBC every six hours until it answers matched, a day later', async () => {
    const input = await customerWithCard('rbc', '0003');
    const script = partners.script(input.customerId, { decision: 'multi_match', reference: `mm-${input.customerId}`, candidates: 3 }, [
      { state: 'pending' },
      { state: 'pending' },
      { state: 'pending' },
      { state: 'matched' },
    ]);

    const { result, progress, elapsedMs } = await withWorker('rbc polling', async (start) => {
      const { workflowId } = await start(input);
      const handle = testEnv.client.workflow.getHandle<typeof cardLinkWorkflow>(workflowId);
      const result = await handle.result();
      const child = await testEnv.client.workflow.getHandle(reconciliationWorkflowId(workflowId)).describe();
      return { result, progress: await handle.query(progressQuery), elapsedMs: child.closeTime!.getTime() - child.startTime.getTime() };
    });

    expect(result).toMatchObject({ status: 'linked', partnerId: 'rbc' });
    expect(script.pollCount).toBe(4);
    // Four polls six hours apart: the match is seen a day after the multi-match.
    expect(elapsedMs).toBeGreaterThanOrEqual(24 * HOUR_MS);
    expect(elapsedMs).toBeLessThan(25 * HOUR_MS);
    expect(progress.completed.find((step) => step.step === 'reconcile')).toMatchObject({
      outcome: 'matched (poll:rbc)',
      partnerResponse: { matched: true, resolvedBy: 'poll:rbc', polls: 4 },
    });
    const after = await rowsOf(input.customerId);
    expect(after.links).toMatchObject([{ status: 'active' }]);
    // RBC's benefit starts on the first of next month: confirmed before then, it is scheduled.
    const confirmedAt = Date.parse(progress.completed.find((step) => step.step === 'reconcile')!.at);
    const started = after.subscriptions[0]!.startsAt.getTime() <= confirmedAt;
    expect(after.subscriptions).toMatchObject([{ status: started ? 'active' : 'scheduled' }]);
  });

  it('compensates when the deadline passes without an answer: the provisional subscription and the link end, with the reason', async () => {
    const input = await customerWithCard('chase', '0005');
    partners.script(input.customerId, { decision: 'multi_match', reference: `mm-${input.customerId}`, candidates: 2 });

    const { result, linkedAtMs } = await withWorker('chase deadline', async (start) => {
      const { workflowId } = await start(input);
      const handle = testEnv.client.workflow.getHandle<typeof cardLinkWorkflow>(workflowId);
      const linkedAtMs = (await handle.describe()).startTime.getTime();
      return { result: await handle.result(), linkedAtMs };
    });

    const after = await rowsOf(input.customerId);
    expect(result).toEqual({ status: 'reconciliation_failed', linkId: after.links[0]?.linkId, partnerId: 'chase', reason: RECONCILIATION_DEADLINE_REASON });
    expect(after.links).toMatchObject([{ status: 'ended', endedReason: RECONCILIATION_DEADLINE_REASON }]);
    expect(after.subscriptions).toMatchObject([{ status: 'ended', activeCustomerId: null, endedReason: RECONCILIATION_DEADLINE_REASON }]);
    // Ended at the deadline in workflow time: seven days after linking.
    const endedAt = after.subscriptions[0]!.endedAt!.getTime();
    expect(endedAt - linkedAtMs).toBeGreaterThanOrEqual(7 * DAY_MS);
    expect(endedAt - linkedAtMs).toBeLessThan(7 * DAY_MS + HOUR_MS);
  });

  it('compensates at once when a poll says rejected, recording the partner reason', async () => {
    const input = await customerWithCard('rbc', '0004');
    partners.script(input.customerId, { decision: 'multi_match', reference: `mm-${input.customerId}`, candidates: 2 }, [
      { state: 'pending' },
      { state: 'rejected', reason: 'no_matching_account' },
    ]);

    const result = await withWorker('rbc rejected', async (start) => testEnv.client.workflow.getHandle<typeof cardLinkWorkflow>((await start(input)).workflowId).result());

    expect(result).toMatchObject({ status: 'reconciliation_failed', partnerId: 'rbc', reason: 'no_matching_account' });
    const after = await rowsOf(input.customerId);
    expect(after.links).toMatchObject([{ status: 'ended', endedReason: 'no_matching_account' }]);
    expect(after.subscriptions).toMatchObject([{ status: 'ended', activeCustomerId: null, endedReason: 'no_matching_account' }]);
  });

  it('continues as new on a long poll (Afterpay, every 30 s) and still takes a webhook answer hours later', async () => {
    const input = await customerWithCard('afterpay', '0003');
    const script = partners.script(input.customerId, { decision: 'multi_match', reference: `mm-${input.customerId}`, candidates: 2 });

    const { result, polls } = await withWorker('afterpay continue as new', async (start) => {
      const { workflowId } = await start(input);
      const child = testEnv.client.workflow.getHandle(reconciliationWorkflowId(workflowId));
      const firstRunId = (await child.describe()).runId;
      // ~11 history events per poll: past RECONCILIATION_MAX_HISTORY_EVENTS after a couple of hours of polling.
      await eventually(
        'the reconciliation to continue as new',
        async () => {
          await testEnv.sleep(10 * 60_000);
          return (await child.describe()).runId !== firstRunId;
        },
        { timeoutMs: 50_000, intervalMs: 1 },
      );
      await child.signal(reconciliationAnswerSignal, { matched: true, resolvedBy: 'partner:afterpay' });
      const result = await testEnv.client.workflow.getHandle<typeof cardLinkWorkflow>(workflowId).result();
      return { result, polls: script.pollCount };
    });

    expect(result).toMatchObject({ status: 'linked', partnerId: 'afterpay' });
    expect(polls).toBeGreaterThan(100);
    expect((await rowsOf(input.customerId)).subscriptions).toMatchObject([{ status: 'active' }]);
  });

  it('takes a rejection from a support agent, run on its own, and compensates with their reason', async () => {
    const input = await customerWithCard('chase', '0003');
    partners.script(input.customerId, { decision: 'multi_match', reference: `mm-${input.customerId}`, candidates: 2 });
    // A pending link and provisional subscription, as the card-link workflow leaves them.
    const activities = createCardLinkActivities({ db: db(), partnerHttp: () => partners.http });
    const created = await activities.createLink({
      workflowId: `manual-${input.customerId}`,
      customerId: input.customerId,
      card: input.card,
      partnerId: 'chase',
      partnerVersion: '1',
      decision: { kind: 'multi_match', matchReference: `mm-${input.customerId}`, candidates: 2 },
      linkedAt: new Date().toISOString(),
    });
    if (created.kind !== 'linked') throw new Error('expected a pending link');

    const result = await withWorker('manual answer', async (_start, taskQueue) => {
      const handle = await testEnv.client.workflow.start(reconciliationWorkflow, {
        taskQueue,
        workflowId: reconciliationWorkflowId(`manual-${input.customerId}`),
        args: [
          {
            parentWorkflowId: `manual-${input.customerId}`,
            linkId: created.linkId,
            customerId: input.customerId,
            partnerId: 'chase',
            partnerVersion: '1',
            matchReference: `mm-${input.customerId}`,
            reconciliation: { via: 'webhook', pollEveryMs: null, deadlineMs: 7 * DAY_MS },
          },
        ],
      });
      await handle.signal(reconciliationAnswerSignal, { matched: false, reason: 'customer_disputed', resolvedBy: 'agent:support-1' });
      return handle.result();
    });
    expect(result).toMatchObject({ matched: false, reason: 'customer_disputed', resolvedBy: 'agent:support-1' });
    const after = await rowsOf(input.customerId);
    expect(after.links).toMatchObject([{ status: 'ended', endedReason: 'customer_disputed' }]);
    expect(after.subscriptions).toMatchObject([{ status: 'ended', activeCustomerId: null }]);
  });
});
