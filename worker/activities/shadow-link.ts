import type { ShadowDecision, ShadowInput } from './card-link.ts';
import type { PartnerHttp, PartnerIntegration } from '../../server/card-link/partners/partner.ts';
import { linkMismatches, type MismatchKind, type ShadowLink } from '../../server/card-link/shadow-link.ts';
import type { PrismaClient } from '../../server/db/generated/client.ts';

/** The eligibility comparison's input, and what the live version then wrote. */
export interface ShadowLinkInput extends ShadowInput {
  /** The link the live version wrote (linkStatus null: it wrote none). */
  liveLink: ShadowLink;
  /** Workflow time the live benefit dates count from; the candidate's count from the same instant. */
  linkedAt: string;
}

export interface ShadowLinkResult {
  mismatches: MismatchKind[];
  candidateLink: ShadowLink;
  recorded: boolean;
}

export interface ShadowLinkDeps {
  db: Pick<PrismaClient, '$executeRaw'>;
  partnerHttp: (partnerId: string) => PartnerHttp;
  /** One version's implementation; throws PartnerNotConfiguredError for a version this build lacks. */
  integration: (partnerId: string, version: string) => PartnerIntegration;
}

/** The shadow-mode activity, merged into the card-link activities. */
export function createShadowLinkActivities({ db, partnerHttp, integration }: ShadowLinkDeps) {
  return {
    /**
     * Dry mode: computes the link the candidate version would have written in the live one's place (partner,
     * decision, link status, benefit dates counted from the same instant), writing no link and no subscription,
     * and records it beside the live link with the kinds of mismatch. A slot the live link could not take
     * (customer already subscribed) is the database's, not a version's: the candidate would not take it either.
     * An unavailable partner is retried; any other candidate error is recorded as kind 'error'.
     */
    async compareShadowLink(input: ShadowLinkInput): Promise<ShadowLinkResult> {
      const { partnerId, liveVersion, candidateVersion, customerId, card, liveDecision, liveLink, workflowId } = input;
      let candidateDecision: ShadowDecision;
      let candidateLink: ShadowLink;
      try {
        const candidate = integration(partnerId, candidateVersion);
        if (!candidate.matches(card)) {
          candidateDecision = { kind: 'not_eligible', reason: 'no_partner_for_card' };
          candidateLink = { partnerId: null, decision: 'not_eligible', reason: 'no_partner_for_card', linkStatus: null, benefitStartsAt: null, benefitEndsAt: null };
        } else {
          const decision = await candidate.checkEligibility(partnerHttp(partnerId), { customerId, card });
          candidateDecision = decision;
          const slotTaken = liveDecision.kind !== 'not_eligible' && liveLink.linkStatus === null;
          const writes = decision.kind !== 'not_eligible' && !slotTaken;
          const benefit = writes ? candidate.benefit(new Date(input.linkedAt)) : null;
          candidateLink = {
            partnerId,
            decision: decision.kind,
            ...(decision.kind === 'not_eligible' ? { reason: decision.reason } : {}),
            linkStatus: !writes ? null : decision.kind === 'multi_match' ? 'pending_reconciliation' : 'active',
            benefitStartsAt: benefit ? benefit.startsAt.toISOString() : null,
            benefitEndsAt: benefit?.endsAt ? benefit.endsAt.toISOString() : null,
          };
        }
      } catch (err) {
        if (err instanceof Error && err.name === 'PartnerUnavailableError') throw err;
        const error = err instanceof Error ? err.name : 'Error';
        candidateDecision = { kind: 'error', error, message: err instanceof Error ? err.message : String(err) };
        candidateLink = { partnerId, decision: 'error', reason: error, linkStatus: null, benefitStartsAt: null, benefitEndsAt: null };
      }
      const mismatches = linkMismatches(liveLink, candidateLink);
      // One row per run, as compareShadowEligibility: a retried attempt finds the row its predecessor wrote.
      const inserted = await db.$executeRaw`
        INSERT INTO shadow_comparisons
          (partner_id, live_version, candidate_version, customer_id, workflow_id, live_decision, candidate_decision, matched,
           mismatch_kinds, live_link, candidate_link)
        SELECT ${partnerId}, ${liveVersion}, ${candidateVersion}, ${customerId}, ${workflowId},
               ${JSON.stringify(liveDecision)}::jsonb, ${JSON.stringify(candidateDecision)}::jsonb, ${mismatches.length === 0},
               ${mismatches}::text[], ${JSON.stringify(liveLink)}::jsonb, ${JSON.stringify(candidateLink)}::jsonb
        WHERE NOT EXISTS (
          SELECT 1 FROM shadow_comparisons
          WHERE workflow_id = ${workflowId} AND candidate_version = ${candidateVersion}
            AND created_at >= ${new Date(input.runStartedAt)}::timestamptz - interval '1 minute'
        )`;
      return { mismatches, candidateLink, recorded: inserted > 0 };
    },
  };
}
