import { describe, expect, it } from 'vitest';
import { parseCardLinkWorkflowId, cardLinkWorkflowId, type LinkOutcome } from '../temporal/contract.ts';
import { reEvaluation, reEvaluationPolicyFrom, SLOT_TAKEN_REASON } from './re-evaluation.ts';

const policy = { notEligibleAfterMs: 24 * 3_600_000, reconciliationFailedAfterMs: 3_600_000 };
const decidedAt = new Date('2026-12-02T10:00:00Z');
const free = { slotFree: true, linkEnded: false };
const taken = { slotFree: false, linkEnded: false };
const after = (ms: number) => new Date(decidedAt.getTime() + ms);

describe('reEvaluation', () => {
  const declined: LinkOutcome = { status: 'not_eligible', partnerId: 'chase', reason: 'account_closed' };
  const failed: LinkOutcome = { status: 'reconciliation_failed', linkId: 'link_1', partnerId: 'chase', reason: 'partner_rejected' };

  it('waits out each outcome its own cool-down, then is due', () => {
    expect(reEvaluation(declined, decidedAt, after(23 * 3_600_000), policy, free)).toEqual({ due: false, why: 'cooling_down', notBefore: after(24 * 3_600_000) });
    expect(reEvaluation(declined, decidedAt, after(24 * 3_600_000), policy, free)).toEqual({ due: true });
    expect(reEvaluation(failed, decidedAt, after(59 * 60_000), policy, free)).toMatchObject({ due: false, why: 'cooling_down' });
    expect(reEvaluation(failed, decidedAt, after(3_600_000), policy, free)).toEqual({ due: true });
  });

  it('never re-evaluates a linked card while its link lasts, and at once after it ended (unlinked)', () => {
    const linked: LinkOutcome = { status: 'linked', linkId: 'l', subscriptionId: 's', partnerId: 'chase', benefitEndsAt: null };
    expect(reEvaluation(linked, decidedAt, after(365 * 24 * 3_600_000), policy, free)).toMatchObject({ due: false, why: 'linked' });
    expect(reEvaluation(linked, decidedAt, after(1), policy, { slotFree: true, linkEnded: true })).toEqual({ due: true });
  });

  it('re-evaluates a decline for a taken slot as soon as the slot is free, and not before', () => {
    const slotTaken: LinkOutcome = { status: 'not_eligible', partnerId: 'chase', reason: SLOT_TAKEN_REASON };
    expect(reEvaluation(slotTaken, decidedAt, after(1), policy, taken)).toMatchObject({ due: false, why: 'slot_still_taken' });
    expect(reEvaluation(slotTaken, decidedAt, after(1), policy, free)).toEqual({ due: true });
  });

  it('reads the policy from the validated env, refusing a negative cool-down', () => {
    expect(reEvaluationPolicyFrom({ CARD_LINK_RECHECK_NOT_ELIGIBLE_AFTER_MS: 5, CARD_LINK_RECHECK_RECONCILIATION_FAILED_AFTER_MS: 0 })).toEqual({ notEligibleAfterMs: 5, reconciliationFailedAfterMs: 0 });
    expect(() => reEvaluationPolicyFrom({ CARD_LINK_RECHECK_NOT_ELIGIBLE_AFTER_MS: -1, CARD_LINK_RECHECK_RECONCILIATION_FAILED_AFTER_MS: 0 })).toThrow();
  });
});

describe('cardLinkWorkflowId generations', () => {
  it('keeps generation 0 as the original id and round-trips later ones, customer ids with colons included', () => {
    expect(cardLinkWorkflowId('cus_1', 'fp_abcdefgh')).toBe('card-link:cus_1:fp_abcdefgh');
    expect(cardLinkWorkflowId('cus_1', 'fp_abcdefgh', 3)).toBe('card-link:cus_1:fp_abcdefgh.r3');
    expect(parseCardLinkWorkflowId('card-link:org:cus.1:fp_abcdefgh.r12')).toEqual({ customerId: 'org:cus.1', fingerprint: 'fp_abcdefgh', generation: 12 });
    expect(parseCardLinkWorkflowId('card-link:cus_1:fp_abcdefgh')).toEqual({ customerId: 'cus_1', fingerprint: 'fp_abcdefgh', generation: 0 });
    expect(parseCardLinkWorkflowId('card-link:cus_1:short')).toBeNull();
    expect(parseCardLinkWorkflowId('inventory:cus_1:fp_abcdefgh')).toBeNull();
    expect(parseCardLinkWorkflowId('card-link:cus_1:fp_abcdefgh.r0')).toBeNull();
  });
});
