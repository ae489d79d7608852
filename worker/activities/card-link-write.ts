import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { CardFacts, EligibilityDecision } from '../../server/temporal/contract.ts';
import type { PartnerIntegration } from '../../server/card-link/partners/partner.ts';
import { Prisma, type PrismaClient } from '../../server/db/generated/client.ts';
import { advanceDueSubscriptions } from './benefit-lifecycle.ts';

/**
 * Writing a card's membership link and its DashPass subscription (createLink), and saying beforehand which ones a
 * write will make when nothing can change them (planLink, for the workflow's early answer).
 */

export interface CreateLinkInput {
  workflowId: string;
  customerId: string;
  card: CardFacts;
  partnerId: string;
  partnerVersion: string;
  decision: Extract<EligibilityDecision, { kind: 'eligible' | 'multi_match' }>;
  /** Workflow time of the decision: benefit dates are computed from it, so a retry computes the same ones. */
  linkedAt: string;
  /** Ids for a new link and subscription, chosen by the workflow (absent: random here); an existing link keeps its own. */
  linkId?: string;
  subscriptionId?: string;
}

export type CreateLinkResult =
  | {
      kind: 'linked';
      /** false when the link (and its live subscription) already existed: a retry or a repeated request. */
      created: boolean;
      linkId: string;
      linkStatus: 'active' | 'pending_reconciliation';
      subscriptionId: string;
      subscriptionStatus: 'active' | 'provisional' | 'scheduled';
      partnerReference: string | null;
      benefitStartsAt: string;
      benefitEndsAt: string | null;
    }
  /** The customer already has a live (provisional, scheduled or active) subscription through another link: nothing was written. */
  | { kind: 'already_subscribed'; subscriptionId: string | null };

/** The link a write will make for an eligible card, decided before it is written (CheckCardEligibilityInput.link `plan`). */
export interface LinkPlan {
  linkId: string;
  subscriptionId: string;
  benefitEndsAt: string | null;
}

/** Thrown inside the create-link transaction to roll it back when the customer already has a live subscription. */
class AlreadySubscribed extends Error {
  override name = 'AlreadySubscribed';
}

interface LinkedRow {
  /** null only from LINK_IN_ONE_STATEMENT, when the link row was inserted concurrently and is not yet visible. */
  link_id: string | null;
  status: 'active' | 'pending_reconciliation' | 'ended' | null;
  partner_reference: string | null;
  benefit_starts_at: Date | null;
  benefit_ends_at: Date | null;
  written: boolean;
  subscription_id: string | null;
  subscription_status: 'provisional' | 'scheduled' | 'active' | 'lapsed' | 'ended' | null;
}

/**
 * createLink's write, one statement: upsert the link, find or create its live subscription; gated on the customer
 * having no subscription due to start or lapse at $9 (`due` comes back true and nothing is written: the caller then
 * advances them in a transaction and runs it again there). A link left without a live subscription means the
 * customer's slot is taken through another link: the statement then divides by zero (SLOT_TAKEN_SQLSTATE) so that
 * it fails as a whole, the link included.
 * $1 customer, $2 payment method, $3 partner, $4 link status, $5 workflow id, $6 partner reference, $7/$8 benefit
 * start/end, $9 decision time, $10/$11 ids for a new link and subscription.
 */
const LINK_IN_ONE_STATEMENT = `
  WITH due AS (
    SELECT 1 FROM dashpass_subscriptions
     WHERE customer_id = $1::text
       AND ((status = 'scheduled' AND starts_at <= $9::timestamptz)
            OR (status IN ('provisional', 'scheduled', 'active') AND ends_at IS NOT NULL AND ends_at <= $9::timestamptz))
     LIMIT 1
  ), upserted AS (
    INSERT INTO membership_links
      (link_id, customer_id, payment_method_id, partner_id, status, workflow_id, partner_reference, benefit_starts_at, benefit_ends_at)
    SELECT $10::text, $1::text, $2::text, $3::text, $4::text::"LinkStatus", $5::text, $6::text, $7::timestamptz, $8::timestamptz
     WHERE NOT EXISTS (SELECT 1 FROM due)
    ON CONFLICT (customer_id, payment_method_id, partner_id) DO UPDATE SET
      status = EXCLUDED.status, workflow_id = EXCLUDED.workflow_id, partner_reference = EXCLUDED.partner_reference,
      benefit_starts_at = EXCLUDED.benefit_starts_at, benefit_ends_at = EXCLUDED.benefit_ends_at,
      ended_reason = NULL, updated_at = now()
    WHERE membership_links.status = 'ended'
    RETURNING link_id, status, partner_reference, benefit_starts_at, benefit_ends_at
  ), link AS (
    SELECT link_id, status, partner_reference, benefit_starts_at, benefit_ends_at, true AS written FROM upserted
    UNION ALL
    SELECT link_id, status, partner_reference, benefit_starts_at, benefit_ends_at, false AS written FROM membership_links
     WHERE customer_id = $1::text AND payment_method_id = $2::text AND partner_id = $3::text
       AND NOT EXISTS (SELECT 1 FROM upserted) AND NOT EXISTS (SELECT 1 FROM due)
  ), live AS (
    SELECT s.subscription_id, s.status FROM dashpass_subscriptions s JOIN link ON s.link_id = link.link_id
     WHERE s.status IN ('provisional', 'scheduled', 'active')
     LIMIT 1
  ), created AS (
    INSERT INTO dashpass_subscriptions (subscription_id, customer_id, link_id, status, active_customer_id, starts_at, ends_at)
    SELECT $11::text, $1::text, link.link_id,
           (CASE WHEN link.status <> 'active' THEN 'provisional'
                 WHEN COALESCE(link.benefit_starts_at, $7::timestamptz) > $9::timestamptz THEN 'scheduled'
                 ELSE 'active' END)::"SubscriptionStatus", $1::text,
           COALESCE(link.benefit_starts_at, $7::timestamptz), link.benefit_ends_at
      FROM link
     WHERE NOT EXISTS (SELECT 1 FROM live) AND NOT EXISTS (SELECT 1 FROM due)
    ON CONFLICT (active_customer_id) DO NOTHING
    RETURNING subscription_id, status
  )
  SELECT EXISTS (SELECT 1 FROM due) AS due,
         link.link_id, link.status::text AS status, link.partner_reference, link.benefit_starts_at, link.benefit_ends_at, link.written,
         COALESCE(live.subscription_id, created.subscription_id) AS subscription_id,
         COALESCE(live.status, created.status)::text AS subscription_status,
         1 / (CASE WHEN link.link_id IS NOT NULL AND COALESCE(live.subscription_id, created.subscription_id) IS NULL THEN 0 ELSE 1 END) AS slot_free
    FROM (SELECT 1) AS one LEFT JOIN link ON true LEFT JOIN live ON true LEFT JOIN created ON true`;

/** $1 customer, $2 payment method, $3 partner: the card's link with that partner if any, and whether the customer holds a live subscription. */
const PLAN_LINK = `
  SELECT l.link_id, l.status::text AS status,
         EXISTS (SELECT 1 FROM dashpass_subscriptions WHERE customer_id = $1::text AND status IN ('provisional', 'scheduled', 'active')) AS subscribed
    FROM (SELECT 1) AS one
    LEFT JOIN membership_links l ON l.customer_id = $1::text AND l.payment_method_id = $2::text AND l.partner_id = $3::text`;

/** division_by_zero: LINK_IN_ONE_STATEMENT found the customer's live-subscription slot taken and wrote nothing. */
const SLOT_TAKEN_SQLSTATE = '22012';

/** LINK_IN_ONE_STATEMENT's SLOT_TAKEN_SQLSTATE, from pg (`code`) or through Prisma (its driver adapter's message or meta). */
function slotTaken(err: unknown): boolean {
  if ((err as { code?: unknown }).code === SLOT_TAKEN_SQLSTATE) return true;
  const text = err instanceof Error ? `${err.message} ${JSON.stringify((err as { meta?: unknown }).meta ?? {})}` : '';
  return text.includes(SLOT_TAKEN_SQLSTATE) || /division by zero/i.test(text);
}

export interface LinkWriterDeps {
  db: PrismaClient;
  pool: () => pg.Pool;
  integration: (partnerId: string, version: string) => PartnerIntegration;
}

export function createLinkWriter({ db, pool, integration }: LinkWriterDeps) {
  return {
    /**
     * Creates (or finds) the membership link and its DashPass subscription atomically: active + active when
     * eligible, pending_reconciliation + provisional on a multi-match. Upserts on the link's unique key, so a
     * retry returns what the first attempt wrote; an ended link is reopened. If the customer already holds a
     * live subscription through another link, the unique index on active_customer_id refuses a second one and
     * nothing is written: the result says so instead of failing.
     */
    async createLink(input: CreateLinkInput): Promise<CreateLinkResult> {
      const { workflowId, customerId, card, partnerId, partnerVersion, decision } = input;
      const pending = decision.kind === 'multi_match';
      const reference = pending ? decision.matchReference : decision.partnerReference;
      const benefit = integration(partnerId, partnerVersion).benefit(new Date(input.linkedAt));
      const linkStatus = pending ? 'pending_reconciliation' : 'active';
      const { linkId = `link_${randomUUID()}`, subscriptionId = `sub_${randomUUID()}` } = input;
      const linked = (row: LinkedRow): CreateLinkResult => {
        // Only a link this very statement could not see (inserted concurrently) gets here: the retry will.
        if (!row.link_id || !row.status) throw new Error(`membership link for ${workflowId} was written concurrently; retrying`);
        if (row.status === 'ended') throw new Error(`membership link ${row.link_id} is ended after its upsert`);
        if (row.subscription_id === null || row.subscription_status === null) throw new AlreadySubscribed();
        const startsAt = row.benefit_starts_at ?? benefit.startsAt;
        return {
          kind: 'linked' as const,
          created: row.written,
          linkId: row.link_id,
          linkStatus: row.status,
          subscriptionId: row.subscription_id,
          subscriptionStatus: row.subscription_status === 'active' || row.subscription_status === 'scheduled' ? row.subscription_status : ('provisional' as const),
          partnerReference: row.partner_reference,
          benefitStartsAt: startsAt.toISOString(),
          benefitEndsAt: row.benefit_ends_at ? row.benefit_ends_at.toISOString() : null,
        };
      };

      const params = [customerId, card.paymentMethodId, partnerId, linkStatus, workflowId, reference, benefit.startsAt, benefit.endsAt, new Date(input.linkedAt), linkId, subscriptionId];
      // The usual case in one autocommitted statement on pg. It steps aside, having written nothing, when the
      // customer has a subscription due to start or lapse (the transaction below advances it first) or already
      // holds a live one elsewhere (the transaction below says so).
      try {
        const { rows } = await pool().query<LinkedRow & { due: boolean }>(LINK_IN_ONE_STATEMENT, params);
        const row = rows[0];
        if (row && !row.due) return linked(row);
      } catch (err) {
        if (!(err instanceof AlreadySubscribed) && !slotTaken(err)) throw err;
      }

      try {
        // The same statement in a transaction, after the one-live-subscription rule has honoured the dates: a
        // benefit already over by the decision is lapsed first (as its timer would have), so it does not hold the
        // customer's slot. A slot still taken fails the statement, and the transaction rolls back.
        return await db.$transaction(async (tx) => {
          await advanceDueSubscriptions(tx, new Date(input.linkedAt), Prisma.sql`customer_id = ${customerId}`);
          const [row] = await tx.$queryRawUnsafe<(LinkedRow & { due: boolean })[]>(LINK_IN_ONE_STATEMENT, ...params);
          // Still due: a subscription another transaction holds locked (advanceDueSubscriptions skips those).
          if (!row || row.due) throw new Error(`subscriptions of ${customerId} were being advanced concurrently; retrying`);
          return linked(row);
        });
      } catch (err) {
        if (!(err instanceof AlreadySubscribed) && !slotTaken(err)) throw err;
        const existing = await db.dashPassSubscription.findUnique({ where: { activeCustomerId: customerId }, select: { subscriptionId: true } });
        return { kind: 'already_subscribed', subscriptionId: existing?.subscriptionId ?? null };
      }
    },

    /**
     * The link and subscription createLink will write for an eligible card, when nothing can change them: the card
     * has no link with this partner (or only an ended one, which a write reopens under its own id), and the customer
     * holds no live subscription (so none is due to start or lapse, and the slot is free). Otherwise null: only the
     * write can tell (an existing link, a taken slot).
     */
      async planLink(request: CreateLinkInput & { linkId: string; subscriptionId: string }): Promise<LinkPlan | null> {
      const { rows } = await pool().query<{ link_id: string | null; status: string | null; subscribed: boolean }>(PLAN_LINK, [
        request.customerId,
        request.card.paymentMethodId,
        request.partnerId,
      ]);
      const row = rows[0];
      if (!row || row.subscribed || (row.link_id !== null && row.status !== 'ended')) return null;
      const benefit = integration(request.partnerId, request.partnerVersion).benefit(new Date(request.linkedAt));
      return { linkId: row.link_id ?? request.linkId, subscriptionId: request.subscriptionId, benefitEndsAt: benefit.endsAt ? benefit.endsAt.toISOString() : null };
    },
  };
}
