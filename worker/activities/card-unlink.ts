import type { PartnerHttp, UnlinkAcknowledgement } from '../../server/card-link/partners/partner.ts';
import { partnerRegistry, type PartnerRegistry } from '../../server/card-link/partners/registry.ts';
import type { PrismaClient } from '../../server/db/generated/client.ts';
import { PartnerNotConfiguredError } from './card-link.ts';
import { LinkNotFoundError } from './reconciliation.ts';

/**
 * Activities of the unlink workflow: end the link and its subscription here (the compensation of createLink),
 * then tell the partner. Both are idempotent, so a retry or a second unlink of the same link changes nothing.
 */

export interface CardUnlinkDeps {
  db: PrismaClient;
  partnerHttp: (partnerId: string) => PartnerHttp;
  registry?: PartnerRegistry;
  now?: () => Date;
}

export interface EndLinkInput {
  linkId: string;
  reason: string;
  /** Workflow time of the unlink. */
  at: string;
}

export interface EndLinkResult {
  linkId: string;
  customerId: string;
  partnerId: string;
  partnerReference: string | null;
  /** false: the link had already ended (unlinked, lapsed or compensated) before this call; nothing was changed. */
  ended: boolean;
  /** Why the link ended: this unlink's reason, or the earlier one's. */
  endedReason: string | null;
  endedSubscriptions: number;
}

export interface NotifyPartnerUnlinkInput {
  partnerId: string;
  customerId: string;
  partnerReference: string;
}

/** What an unlink records as the link's and subscription's ended_reason. */
export function unlinkedReason(reason: string): string {
  return `unlinked: ${reason}`;
}

export function createCardUnlinkActivities({ db, partnerHttp, registry = partnerRegistry, now = () => new Date() }: CardUnlinkDeps) {
  return {
    /** Ends the link and every live subscription of it, in one transaction; a link already ended is left as is. */
    async endLinkForUnlink({ linkId, reason, at }: EndLinkInput): Promise<EndLinkResult> {
      const endedAt = new Date(at);
      return db.$transaction(async (tx) => {
        // Row lock: a concurrent confirm or compensation of the same link waits for this one.
        const [link] = await tx.$queryRaw<{ customer_id: string; partner_id: string; partner_reference: string | null; status: string; ended_reason: string | null }[]>`
          SELECT customer_id, partner_id, partner_reference, status::text AS status, ended_reason
            FROM membership_links WHERE link_id = ${linkId} FOR UPDATE`;
        if (!link) throw new LinkNotFoundError(`membership link ${linkId} does not exist`);
        const base = { linkId, customerId: link.customer_id, partnerId: link.partner_id, partnerReference: link.partner_reference };
        if (link.status === 'ended') return { ...base, ended: false, endedReason: link.ended_reason, endedSubscriptions: 0 };
        const endedReason = unlinkedReason(reason);
        const { count } = await tx.dashPassSubscription.updateMany({
          where: { linkId, status: { in: ['provisional', 'scheduled', 'active'] } },
          data: { status: 'ended', activeCustomerId: null, endedAt, endedReason },
        });
        await tx.membershipLink.update({ where: { linkId }, data: { status: 'ended', endedReason, updatedAt: now() } });
        return { ...base, ended: true, endedReason, endedSubscriptions: count };
      });
    },

    /** Tells the live integration of the partner; PartnerUnavailableError is retried by the workflow. */
    async notifyPartnerUnlink({ partnerId, customerId, partnerReference }: NotifyPartnerUnlinkInput): Promise<UnlinkAcknowledgement> {
      const row = await db.partner.findUnique({ where: { partnerId }, select: { liveVersion: true } });
      if (!row) throw new PartnerNotConfiguredError(`partner ${partnerId} has no row in the partners table`);
      let integration;
      try {
        integration = registry.resolve(partnerId, row.liveVersion);
      } catch (err) {
        throw new PartnerNotConfiguredError(err instanceof Error ? err.message : String(err));
      }
      return integration.unlink(partnerHttp(partnerId), { customerId, partnerReference });
    },
  };
}

export type CardUnlinkActivities = ReturnType<typeof createCardUnlinkActivities>;
