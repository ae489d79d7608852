import { isCancellation, log, patched, proxyActivities } from '@temporalio/workflow';
import type { CardFacts, EligibilityDecision } from '../../server/temporal/contract.ts';
import type { CardLinkActivities, PartnerSelection } from '../activities/card-link.ts';
import type { ShadowLinkInput } from '../activities/shadow-link.ts';

type ShadowLink = ShadowLinkInput['liveLink'];

/** Shadow comparisons are best effort: a few tries, then the live flow carries on without one. */
const shadow = proxyActivities<CardLinkActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 4 },
});

/**
 * Shadow mode compares the link the candidate would write (partner, dates, benefit) with the live one, once the
 * live link is written (compareShadowLink), instead of the eligibility answers alone (compareShadowEligibility).
 */
export const SHADOW_COMPARES_LINKS_PATCH = 'card-link-shadow-compares-links';

/**
 * A card-link run's shadow comparison, when its partner has a candidate version: started without waiting for it,
 * awaited (`running`) only before the run closes.
 */
export class CardLinkShadow {
  /** The comparison in flight, if one was started. */
  running: Promise<void> | undefined;
  /** Under SHADOW_COMPARES_LINKS_PATCH: the candidate to compare once the live link is known. */
  private pending: { partner: PartnerSelection; candidateVersion: string; eligibility: EligibilityDecision } | undefined;

  constructor(private readonly run: { workflowId: string; runStartedAt: string; customerId: string; card: CardFacts }) {}

  /** The live partner answered: compare links once the live one is known, or (runs from before the patch) the answers now. */
  readonly decided = (partner: PartnerSelection, eligibility: EligibilityDecision): void => {
    if (!partner.candidateVersion) return;
    if (patched(SHADOW_COMPARES_LINKS_PATCH)) this.pending = { partner, candidateVersion: partner.candidateVersion, eligibility };
    else this.running = this.compareEligibility(partner, partner.candidateVersion, eligibility);
  };

  /**
   * Shadow mode under SHADOW_COMPARES_LINKS_PATCH: once the live link is written (or known not to be), the
   * candidate computes in dry mode the link it would have written, compared field by field; started without
   * waiting, awaited only before the workflow closes, and a failure is logged, never surfaced.
   */
  readonly linkKnown = (written: Pick<ShadowLink, 'linkStatus' | 'benefitStartsAt' | 'benefitEndsAt'> | null, linkedAt: string): void => {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return;
    const { partner, candidateVersion, eligibility } = pending;
    const liveLink: ShadowLink = {
      partnerId: partner.partnerId,
      decision: eligibility.kind,
      ...(eligibility.kind === 'not_eligible' ? { reason: eligibility.reason } : {}),
      linkStatus: written?.linkStatus ?? null,
      benefitStartsAt: written?.benefitStartsAt ?? null,
      benefitEndsAt: written?.benefitEndsAt ?? null,
    };
    this.running = shadow.compareShadowLink({ ...this.request(partner, candidateVersion), liveDecision: eligibility, liveLink, linkedAt }).then(
      (result) => {
        if (result.mismatches.length > 0) log.info('shadow link differs from live', { partnerId: partner.partnerId, candidateVersion, mismatches: result.mismatches });
      },
      (err: unknown) => failed(err, partner, candidateVersion),
    );
  };

  /**
   * Shadow mode: the candidate version decides too, in dry mode, as a normal activity started without waiting
   * for it; the decision goes out first. The workflow awaits it only before it closes, and a failure is
   * logged, never surfaced.
   */
  private compareEligibility(partner: PartnerSelection, candidateVersion: string, liveDecision: EligibilityDecision): Promise<void> {
    return shadow.compareShadowEligibility({ ...this.request(partner, candidateVersion), liveDecision }).then(
      (result) => {
        if (!result.matched) log.info('shadow decision differs from live', { partnerId: partner.partnerId, candidateVersion, live: liveDecision.kind, candidate: result.candidateDecision.kind });
      },
      (err: unknown) => failed(err, partner, candidateVersion),
    );
  }

  /** What both comparisons are asked with: the run, the partner and the candidate. */
  private request(partner: PartnerSelection, candidateVersion: string) {
    const { workflowId, runStartedAt, customerId, card } = this.run;
    return { workflowId, runStartedAt, partnerId: partner.partnerId, liveVersion: partner.liveVersion, candidateVersion, customerId, card };
  }
}

/** A comparison that failed is logged, never surfaced (a cancelled one, as the run closes, not even that). */
function failed(err: unknown, partner: PartnerSelection, candidateVersion: string): void {
  if (isCancellation(err)) return;
  log.warn('shadow comparison failed', { partnerId: partner.partnerId, candidateVersion, error: err instanceof Error ? err.message : String(err) });
}
