import { log } from '@temporalio/activity';
import type { PartnerHttp, PartnerIntegration, ReconciliationPoll } from '../../server/card-link/partners/partner.ts';
import type { PrismaClient } from '../../server/db/generated/client.ts';

/**
 * Activities of the reconciliation workflow: the partner's answer to a multi-match (by polling), and its outcome on
 * the pending link and provisional subscription (confirmed, or compensated). Each is idempotent.
 */

/** A link the reconciliation refers to is gone: retrying cannot bring it back. */
export class LinkNotFoundError extends Error {
  override name = 'LinkNotFoundError';
}

/** The partner reconciles by webhook only, or its integration has no poll call. */
export class ReconciliationNotPollableError extends Error {
  override name = 'ReconciliationNotPollableError';
}

export interface PollInput {
  partnerId: string;
  version: string;
  matchReference: string;
}

export interface ConfirmLinkInput {
  linkId: string;
  resolvedBy: string;
  /** Workflow time of the confirmation (absent from runs before it was passed: the activity's clock then). */
  at?: string;
}

export interface ConfirmLinkResult {
  linkId: string;
  linkStatus: 'active' | 'pending_reconciliation' | 'ended';
  subscriptionId: string | null;
  benefitEndsAt: string | null;
}

export interface CompensateLinkInput {
  linkId: string;
  reason: string;
  /** Workflow time of the compensation. */
  at: string;
}

export interface CompensateLinkResult {
  linkId: string;
  endedSubscriptions: number;
  linkEnded: boolean;
}

export interface ReconciliationDeps {
  db: PrismaClient;
  partnerHttp: (partnerId: string) => PartnerHttp;
  integration: (partnerId: string, version: string) => PartnerIntegration;
  now: () => Date;
}

export function createReconciliationActivities({ db, partnerHttp, integration, now }: ReconciliationDeps) {
  return {
    /** The partner's current answer for a multi-match (partners that reconcile by polling). */
    async pollReconciliation({ partnerId, version, matchReference }: PollInput): Promise<ReconciliationPoll> {
      const partner = integration(partnerId, version);
      if (!partner.pollReconciliation) throw new ReconciliationNotPollableError(`${partnerId}@${version} cannot be polled for reconciliation`);
      return partner.pollReconciliation(partnerHttp(partnerId), matchReference);
    },

    /**
     * The multi-match matched: the pending link becomes active and its provisional subscription active, or
     * scheduled when its benefit has not started yet. Idempotent.
     */
    async confirmReconciledLink({ linkId, resolvedBy, at: confirmedAt }: ConfirmLinkInput): Promise<ConfirmLinkResult> {
      return db.$transaction(async (tx) => {
        const link = await tx.membershipLink.findUnique({ where: { linkId }, select: { status: true, benefitEndsAt: true } });
        if (!link) throw new LinkNotFoundError(`membership link ${linkId} does not exist`);
        if (link.status === 'pending_reconciliation') {
          await tx.membershipLink.update({ where: { linkId }, data: { status: 'active', updatedAt: now() } });
          const at = confirmedAt ? new Date(confirmedAt) : now();
          await tx.dashPassSubscription.updateMany({ where: { linkId, status: 'provisional', startsAt: { gt: at } }, data: { status: 'scheduled' } });
          await tx.dashPassSubscription.updateMany({ where: { linkId, status: 'provisional' }, data: { status: 'active' } });
          log.info('multi-match confirmed', { linkId, resolvedBy });
        }
        const subscription = await tx.dashPassSubscription.findFirst({
          where: { linkId, status: { in: ['active', 'scheduled', 'provisional'] } },
          select: { subscriptionId: true },
        });
        return {
          linkId,
          linkStatus: link.status === 'pending_reconciliation' ? 'active' : link.status,
          subscriptionId: subscription?.subscriptionId ?? null,
          benefitEndsAt: link.benefitEndsAt ? link.benefitEndsAt.toISOString() : null,
        };
      });
    },

    /**
     * Compensation for a multi-match that was rejected or never answered: ends the provisional subscription
     * (freeing the customer's live-subscription slot) and the pending link, recording why. Idempotent; a link
     * that was confirmed meanwhile is left alone.
     */
    async compensateReconciliation({ linkId, reason, at }: CompensateLinkInput): Promise<CompensateLinkResult> {
      const endedAt = new Date(at);
      return db.$transaction(async (tx) => {
        const link = await tx.membershipLink.findUnique({ where: { linkId }, select: { status: true } });
        if (!link) throw new LinkNotFoundError(`membership link ${linkId} does not exist`);
        if (link.status !== 'pending_reconciliation') return { linkId, endedSubscriptions: 0, linkEnded: link.status === 'ended' };
        const { count } = await tx.dashPassSubscription.updateMany({
          where: { linkId, status: 'provisional' },
          data: { status: 'ended', activeCustomerId: null, endedAt, endedReason: reason },
        });
        await tx.membershipLink.update({ where: { linkId }, data: { status: 'ended', endedReason: reason, updatedAt: now() } });
        return { linkId, endedSubscriptions: count, linkEnded: true };
      });
    },
  };
}
