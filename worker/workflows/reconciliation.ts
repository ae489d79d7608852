import {
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { RECONCILIATION_NON_RETRYABLE_ERROR_TYPES, reconciliationAnswerSignal, searchAttributes, type ReconciliationAnswer } from '../../server/temporal/contract.ts';
import type { CardLinkActivities, PartnerSelection } from '../activities/card-link.ts';

/** Continue-as-new well before Temporal's history limits: a 30-second poll over two days is ~60k events. */
export const RECONCILIATION_MAX_HISTORY_EVENTS = 2000;
/** Polls are at least this far apart, whatever the partner configured. */
export const MIN_POLL_EVERY_MS = 1000;

export const RECONCILIATION_DEADLINE_REASON = 'reconciliation_deadline_passed';
export const RECONCILIATION_CANCELLED_REASON = 'reconciliation_cancelled';

export interface ReconciliationInput {
  /** The card-link workflow waiting for this one. */
  parentWorkflowId: string;
  linkId: string;
  customerId: string;
  partnerId: string;
  partnerVersion: string;
  matchReference: string;
  reconciliation: PartnerSelection['reconciliation'];
  /** Carried across continue-as-new: the absolute deadline (epoch ms of workflow time) and the polls so far. */
  carried?: { deadlineAtMs: number; polls: number };
}

export type ReconciliationResult =
  | { matched: true; linkId: string; subscriptionId: string | null; benefitEndsAt: string | null; resolvedBy: string; polls: number }
  | { matched: false; linkId: string; reason: string; resolvedBy: string; polls: number };

const { pollReconciliation } = proxyActivities<CardLinkActivities>({
  startToCloseTimeout: '30 seconds',
  // A poll that keeps failing is given up on until the next interval; the deadline still bounds the wait.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5, nonRetryableErrorTypes: RECONCILIATION_NON_RETRYABLE_ERROR_TYPES },
});

/** The link must end up confirmed or compensated: retried until the database takes it. */
const { confirmReconciledLink, compensateReconciliation } = proxyActivities<CardLinkActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: RECONCILIATION_NON_RETRYABLE_ERROR_TYPES },
});

/**
 * Child of the card-link workflow for a multi-match: waits (for days if need be) for the partner's answer, by
 * `reconciliationAnswerSignal` (the partner's webhook, or an agent resolving it by hand) and/or by polling,
 * as the partner's `reconciliation.via` says; the first answer wins. A match confirms the link and activates
 * the provisional subscription; a rejection, the deadline or a cancellation (the parent closing) compensates:
 * the provisional subscription and the link end, with the reason recorded.
 */
export async function reconciliationWorkflow(input: ReconciliationInput): Promise<ReconciliationResult> {
  const { linkId, partnerId, partnerVersion, matchReference, reconciliation } = input;
  const deadlineAtMs = input.carried?.deadlineAtMs ?? Date.now() + reconciliation.deadlineMs;
  let polls = input.carried?.polls ?? 0;
  const pollEveryMs = reconciliation.via === 'webhook' ? null : reconciliation.pollEveryMs;
  const polling = pollEveryMs !== null;

  let answer: ReconciliationAnswer | undefined;
  setHandler(reconciliationAnswerSignal, (received) => {
    if (answer) {
      log.info('reconciliation answer ignored: already answered', { linkId, resolvedBy: received.resolvedBy });
      return;
    }
    answer = received;
  });

  try {
    while (answer === undefined && Date.now() < deadlineAtMs) {
      const info = workflowInfo();
      if (info.continueAsNewSuggested || info.historyLength >= RECONCILIATION_MAX_HISTORY_EVENTS) {
        await condition(allHandlersFinished);
        if (answer !== undefined) break;
        return await continueAsNew<typeof reconciliationWorkflow>({ ...input, carried: { deadlineAtMs, polls } });
      }
      const wakeAtMs = polling ? Math.min(Date.now() + Math.max(MIN_POLL_EVERY_MS, pollEveryMs), deadlineAtMs) : deadlineAtMs;
      if (await condition(() => answer !== undefined, wakeAtMs - Date.now())) break;
      if (!polling || Date.now() >= deadlineAtMs) continue;

      polls += 1;
      const polled = await pollOnce(input);
      if (answer !== undefined || polled === undefined || polled.state === 'pending') continue;
      answer =
        polled.state === 'matched'
          ? { matched: true, resolvedBy: `poll:${partnerId}` }
          : { matched: false, reason: polled.reason, resolvedBy: `poll:${partnerId}` };
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // The parent went away (terminated or cancelled): do not leave a provisional benefit behind.
    await CancellationScope.nonCancellable(() => compensateReconciliation({ linkId, reason: RECONCILIATION_CANCELLED_REASON, at: new Date().toISOString() }));
    throw err;
  }

  const final: ReconciliationAnswer = answer ?? { matched: false, reason: RECONCILIATION_DEADLINE_REASON, resolvedBy: 'deadline' };
  // Once the answer is known the link must end up confirmed or compensated, even if the parent goes away now.
  const result = await CancellationScope.nonCancellable(async (): Promise<ReconciliationResult> => {
    if (final.matched) {
      // Workflow time decides scheduled vs active (an activity input, so replays are unaffected).
      const confirmed = await confirmReconciledLink({ linkId, resolvedBy: final.resolvedBy, at: new Date().toISOString() });
      return { matched: true, linkId, subscriptionId: confirmed.subscriptionId, benefitEndsAt: confirmed.benefitEndsAt, resolvedBy: final.resolvedBy, polls };
    }
    const reason = final.reason ?? 'rejected_by_partner';
    await compensateReconciliation({ linkId, reason, at: new Date().toISOString() });
    return { matched: false, linkId, reason, resolvedBy: final.resolvedBy, polls };
  });
  upsertSearchAttributes([{ key: searchAttributes.linkStatus, value: result.matched ? 'linked' : 'reconciliation_failed' }]);
  log.info('reconciliation finished', { linkId, partnerId, partnerVersion, matchReference, matched: result.matched, resolvedBy: result.resolvedBy, polls });
  await condition(allHandlersFinished);
  return result;
}

/** One poll; a poll that fails after its retries is logged and skipped (the next interval or the deadline follows). */
async function pollOnce({ partnerId, partnerVersion, matchReference, linkId }: ReconciliationInput) {
  try {
    return await pollReconciliation({ partnerId, version: partnerVersion, matchReference });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    log.warn('reconciliation poll failed; will poll again', { linkId, partnerId, error: err.cause?.message });
    return undefined;
  }
}
