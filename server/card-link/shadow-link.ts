/**
 * Shadow mode compares links, not only answers: the live version's link as written, and the link the
 * candidate version would have written in its place (computed dry), field by field. Pure; the activity that
 * records a comparison (worker/activities/card-link.ts) and the console both use it.
 */

export const MISMATCH_KINDS = ['eligibility', 'partner', 'link_status', 'start_date', 'end_date', 'benefit', 'error'] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

/** One version's link for a card: what it decided, and what it wrote (live) or would write (candidate). */
export interface ShadowLink {
  /** The partner that would hold the link; null when the version finds none for the card. */
  partnerId: string | null;
  decision: 'eligible' | 'not_eligible' | 'multi_match' | 'error';
  /** The decline reason, or the error of a candidate that threw. */
  reason?: string;
  /** The link's status; null when no link is (or would be) written. */
  linkStatus: 'active' | 'pending_reconciliation' | null;
  benefitStartsAt: string | null;
  benefitEndsAt: string | null;
}

/** What differs, in MISMATCH_KINDS order; empty when the candidate would have written the same link. */
export function linkMismatches(live: ShadowLink, candidate: ShadowLink): MismatchKind[] {
  if (candidate.decision === 'error') return ['error'];
  const kinds = new Set<MismatchKind>();
  if (live.decision !== candidate.decision || (live.decision === 'not_eligible' && live.reason !== candidate.reason)) kinds.add('eligibility');
  if (live.partnerId !== candidate.partnerId) kinds.add('partner');
  if (live.linkStatus !== null && candidate.linkStatus !== null) {
    if (live.linkStatus !== candidate.linkStatus) kinds.add('link_status');
    if (!sameInstant(live.benefitStartsAt, candidate.benefitStartsAt)) kinds.add('start_date');
    if (!sameInstant(live.benefitEndsAt, candidate.benefitEndsAt)) kinds.add('end_date');
    if (termMs(live) !== termMs(candidate)) kinds.add('benefit');
  } else if ((live.linkStatus === null) !== (candidate.linkStatus === null) && !kinds.has('eligibility')) {
    kinds.add('link_status');
  }
  return MISMATCH_KINDS.filter((kind) => kinds.has(kind));
}

function sameInstant(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return new Date(a).getTime() === new Date(b).getTime();
}

/** How long the benefit lasts (null: open-ended): two links can start on different days yet grant the same term. */
function termMs(link: ShadowLink): number | null {
  if (link.benefitStartsAt === null || link.benefitEndsAt === null) return null;
  return new Date(link.benefitEndsAt).getTime() - new Date(link.benefitStartsAt).getTime();
}
