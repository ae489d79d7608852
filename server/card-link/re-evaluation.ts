import { z } from 'zod';
import type { LinkOutcome } from '../temporal/contract.ts';

/**
 * When a card whose link already has a recorded decision is evaluated again on re-submission. A running link
 * never is (the submission joins it), nor a linked one while its link lasts: once it has ended (unlinked), at
 * once. A decline waits out a cool-down per outcome; a decline
 * only because the customer's live-subscription slot was taken (by a pending multi-match, say) is re-evaluated
 * as soon as the slot is free, e.g. right after that multi-match was compensated.
 */
export const reEvaluationPolicySchema = z.object({
  notEligibleAfterMs: z.number().int().min(0),
  reconciliationFailedAfterMs: z.number().int().min(0),
});
export type ReEvaluationPolicy = z.infer<typeof reEvaluationPolicySchema>;

export const DEFAULT_RE_EVALUATION_POLICY: ReEvaluationPolicy = { notEligibleAfterMs: 24 * 3_600_000, reconciliationFailedAfterMs: 3_600_000 };

/** The policy from the validated env (`CARD_LINK_RECHECK_*_AFTER_MS`). */
export function reEvaluationPolicyFrom(settings: { CARD_LINK_RECHECK_NOT_ELIGIBLE_AFTER_MS: number; CARD_LINK_RECHECK_RECONCILIATION_FAILED_AFTER_MS: number }): ReEvaluationPolicy {
  return reEvaluationPolicySchema.parse({
    notEligibleAfterMs: settings.CARD_LINK_RECHECK_NOT_ELIGIBLE_AFTER_MS,
    reconciliationFailedAfterMs: settings.CARD_LINK_RECHECK_RECONCILIATION_FAILED_AFTER_MS,
  });
}

/** The decline reason the workflow records when the customer already holds a live subscription elsewhere. */
export const SLOT_TAKEN_REASON = 'customer_already_subscribed';

export type ReEvaluation =
  | { due: true }
  | { due: false; why: 'linked' | 'cooling_down' | 'slot_still_taken'; notBefore: Date | null };

/** What the database says now: the customer has no live subscription; the decision's link has ended since. */
export interface CurrentFacts {
  slotFree: boolean;
  linkEnded: boolean;
}

/** Pure: is a decided card due for a new evaluation at `now`? */
export function reEvaluation(outcome: LinkOutcome, decidedAt: Date, now: Date, policy: ReEvaluationPolicy, { slotFree, linkEnded }: CurrentFacts): ReEvaluation {
  switch (outcome.status) {
    case 'linked':
    case 'pending_reconciliation':
      return linkEnded ? { due: true } : { due: false, why: 'linked', notBefore: null };
    case 'not_eligible': {
      if (outcome.reason === SLOT_TAKEN_REASON) return slotFree ? { due: true } : { due: false, why: 'slot_still_taken', notBefore: null };
      return coolDown(decidedAt, policy.notEligibleAfterMs, now);
    }
    case 'reconciliation_failed':
      return coolDown(decidedAt, policy.reconciliationFailedAfterMs, now);
  }
}

function coolDown(decidedAt: Date, afterMs: number, now: Date): ReEvaluation {
  const notBefore = new Date(decidedAt.getTime() + afterMs);
  return now >= notBefore ? { due: true } : { due: false, why: 'cooling_down', notBefore };
}
