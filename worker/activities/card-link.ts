import { randomUUID } from 'node:crypto';
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CardFacts, EligibilityDecision } from '../../server/temporal/contract.ts';
import type pg from 'pg';
import { createPartnerHttp, type PartnerHttpOptions } from '../../server/card-link/partners/http.ts';
import { cardLinkPool } from '../../server/card-link/pg-pool.ts';
import type { PartnerHttp, PartnerIntegration, ReconciliationPoll } from '../../server/card-link/partners/partner.ts';
import { partnerRegistry, type PartnerRegistry } from '../../server/card-link/partners/registry.ts';
import { Prisma, type PrismaClient } from '../../server/db/generated/client.ts';
import { advanceDueSubscriptions, createBenefitLifecycleActivities } from './benefit-lifecycle.ts';
import { createCardUnlinkActivities } from './card-unlink.ts';
import { createShadowLinkActivities } from './shadow-link.ts';

/**
 * Activities of the card-link and reconciliation workflows. The fast ones (validate, select, eligibility,
 * create link) run as local activities on the synchronous path; every one is idempotent, so a retry, a
 * local-activity re-run after a worker crash, or a second run of the same workflow ID changes nothing twice.
 * Cards are only ever handled as CardFacts (BIN, last4, fingerprint): there is no PAN to log or store.
 */

export interface CardLinkDeps {
  db: PrismaClient;
  /** The partner's HTTP API for a partner id: `createPartnerHttp(PARTNER_SANDBOX_URL, partnerId)` in the worker. */
  partnerHttp: (partnerId: string) => PartnerHttp;
  registry?: PartnerRegistry;
  now?: () => Date;
  /** createLink's one-statement path (the process's cardLinkPool unless given). */
  pool?: () => pg.Pool;
}

/**
 * `CardLinkDeps.partnerHttp` for partner APIs under `${baseUrl}/partners/<id>`, one client per partner. The base
 * URL may be a function, read on first use (the worker passes its env lazily).
 */
export function partnerHttpFor(baseUrl: string | (() => string), options?: PartnerHttpOptions): (partnerId: string) => PartnerHttp {
  const clients = new Map<string, PartnerHttp>();
  return (partnerId) => {
    let client = clients.get(partnerId);
    if (!client) {
      client = createPartnerHttp(typeof baseUrl === 'string' ? baseUrl : baseUrl(), partnerId, options);
      clients.set(partnerId, client);
    }
    return client;
  };
}

export type InvalidCardReason =
  | 'malformed_card'
  | 'card_expired'
  | 'unknown_payment_method'
  | 'payment_method_mismatch'
  | 'no_partner_for_card';

/**
 * The card cannot be linked as submitted: no retry can change that. Its message starts with the reason code
 * (`card_expired: …`) because an activity error reaches the workflow as type + message only.
 */
export class InvalidCardError extends Error {
  override name = 'InvalidCardError';
  constructor(
    readonly reason: InvalidCardReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** The partners table names a partner this build has no row or integration for. */
export class PartnerNotConfiguredError extends Error {
  override name = 'PartnerNotConfiguredError';
}

/** A link the reconciliation refers to is gone: retrying cannot bring it back. */
export class LinkNotFoundError extends Error {
  override name = 'LinkNotFoundError';
}

/** The partner reconciles by webhook only, or its integration has no poll call. */
export class ReconciliationNotPollableError extends Error {
  override name = 'ReconciliationNotPollableError';
}

export interface PartnerSelection {
  partnerId: string;
  name: string;
  liveVersion: string;
  /** A version to run in shadow (dry) mode beside the live one, from the partners table. */
  candidateVersion: string | null;
  /** `pollEveryMs` is null when the partner cannot be polled (webhook only). */
  reconciliation: { via: 'webhook' | 'polling' | 'both'; pollEveryMs: number | null; deadlineMs: number };
}

export type SelectPartnerResult = { selected: PartnerSelection } | { selected: null; partnerId: string | null; reason: string };

export interface CheckCardEligibilityInput {
  customerId: string;
  card: CardFacts;
  /** Workflow time the card must not have expired by. */
  asOf: string;
}

/** What checkCardEligibility found: no partner for the card, or the partner and its answer. */
export type CardEligibility =
  | { selection: Extract<SelectPartnerResult, { selected: null }> }
  | { selection: { selected: PartnerSelection }; eligibility: EligibilityDecision };

/** `details[0]` of a checkCardEligibility failure: the step that failed (the ones before it passed), and the partner once selected. */
export interface CardEligibilityFailure {
  step: 'validate_card' | 'select_partner' | 'check_eligibility';
  partner?: PartnerSelection;
}

/**
 * A step's error as the activity's failure: same type (error name) and message, so retry policies treat it as
 * they treat the step on its own; retryability is left to them.
 */
function failedStep(err: unknown, details: CardEligibilityFailure): ApplicationFailure {
  const cause = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({ type: cause.name, message: cause.message, details: [details], cause });
}

export interface EligibilityRequestInput {
  partnerId: string;
  version: string;
  customerId: string;
  card: CardFacts;
}

export interface CreateLinkInput {
  workflowId: string;
  customerId: string;
  card: CardFacts;
  partnerId: string;
  partnerVersion: string;
  decision: Extract<EligibilityDecision, { kind: 'eligible' | 'multi_match' }>;
  /** Workflow time of the decision: benefit dates are computed from it, so a retry computes the same ones. */
  linkedAt: string;
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

export interface ShadowInput {
  workflowId: string;
  /** The run's start time: a retried attempt does not record the same comparison twice. */
  runStartedAt: string;
  partnerId: string;
  liveVersion: string;
  candidateVersion: string;
  customerId: string;
  card: CardFacts;
  liveDecision: EligibilityDecision;
}

export type ShadowDecision = EligibilityDecision | { kind: 'error'; error: string; message: string };

export interface ShadowResult {
  matched: boolean;
  candidateDecision: ShadowDecision;
  recorded: boolean;
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

/** Poll interval for a partner that reconciles by polling without saying how often. */
export const DEFAULT_POLL_EVERY_MS = 60 * 60 * 1000;

const BIN = /^\d{6,8}$/;
const LAST4 = /^\d{4}$/;
const COUNTRY = /^[A-Z]{2}$/;

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
 * createLink's usual case as one autocommitted statement: the transaction's upsert, gated on the customer having
 * no subscription due to start or lapse at $9 (`due` comes back true and nothing is written: the caller then
 * advances them in a transaction first). A link left without a live subscription means the customer's slot is
 * taken through another link: the statement then divides by zero (SLOT_TAKEN_SQLSTATE) so that it fails as a
 * whole, the link included, just as the transaction rolls back.
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

/** division_by_zero: LINK_IN_ONE_STATEMENT found the customer's live-subscription slot taken and wrote nothing. */
const SLOT_TAKEN_SQLSTATE = '22012';

export function createCardLinkActivities({ db, partnerHttp, registry = partnerRegistry, now = () => new Date(), pool = cardLinkPool }: CardLinkDeps) {
  const integration = (partnerId: string, version: string): PartnerIntegration => {
    try {
      return registry.resolve(partnerId, version);
    } catch (err) {
      throw new PartnerNotConfiguredError(err instanceof Error ? err.message : String(err));
    }
  };

  const steps = {
    /**
     * The card is well formed, not expired at `asOf`, is the customer's own stored payment method, and some
     * partner issues it (network, country and BIN range).
     */
    async validateCard(customerId: string, card: CardFacts, asOf: string): Promise<{ valid: true }> {
      const problems: string[] = [];
      if (!BIN.test(card.bin)) problems.push('bin must be 6 to 8 digits');
      if (!LAST4.test(card.last4)) problems.push('last4 must be 4 digits');
      if (!COUNTRY.test(card.country)) problems.push('country must be an ISO 3166-1 alpha-2 code');
      if (!card.network.trim()) problems.push('network is empty');
      if (!card.fingerprint.trim()) problems.push('fingerprint is empty');
      if (!Number.isInteger(card.expMonth) || card.expMonth < 1 || card.expMonth > 12) problems.push('expMonth must be 1 to 12');
      if (!Number.isInteger(card.expYear) || card.expYear < 2000 || card.expYear > 2200) problems.push('expYear must be a four-digit year');
      if (problems.length > 0) throw new InvalidCardError('malformed_card', problems.join('; '));

      // A card is good through the last day of its expiry month.
      const at = new Date(asOf);
      const current = at.getUTCFullYear() * 12 + at.getUTCMonth();
      if (card.expYear * 12 + (card.expMonth - 1) < current) {
        throw new InvalidCardError('card_expired', `card ending ${card.last4} expired ${String(card.expMonth).padStart(2, '0')}/${card.expYear}`);
      }

      const stored = await db.paymentMethod.findUnique({
        where: { paymentMethodId: card.paymentMethodId },
        select: { customerId: true, fingerprint: true, last4: true },
      });
      if (!stored) throw new InvalidCardError('unknown_payment_method', `payment method ${card.paymentMethodId} does not exist`);
      if (stored.customerId !== customerId || stored.fingerprint !== card.fingerprint || stored.last4 !== card.last4) {
        throw new InvalidCardError('payment_method_mismatch', `payment method ${card.paymentMethodId} is not this customer's card ending ${card.last4}`);
      }

      if (!registry.selectPartner(card)) {
        throw new InvalidCardError('no_partner_for_card', `no DashPass partner issues ${card.network} cards with BIN ${card.bin.slice(0, 6)} in ${card.country}`);
      }
      return { valid: true };
    },

    /** The partner whose BIN ranges hold the card, with its live and candidate versions from the partners table. */
    async selectPartner(card: CardFacts): Promise<SelectPartnerResult> {
      const partner = registry.selectPartner(card);
      if (!partner) return { selected: null, partnerId: null, reason: 'no_partner_for_card' };
      const row = await db.partner.findUnique({
        where: { partnerId: partner.partnerId },
        select: { name: true, active: true, liveVersion: true, candidateVersion: true },
      });
      if (!row) throw new PartnerNotConfiguredError(`partner ${partner.partnerId} has no row in the partners table`);
      if (!row.active) return { selected: null, partnerId: partner.partnerId, reason: 'partner_inactive' };

      const live = integration(partner.partnerId, row.liveVersion);
      // A candidate this build does not implement is skipped rather than failing live traffic.
      const wanted = row.candidateVersion !== null && row.candidateVersion !== row.liveVersion ? row.candidateVersion : null;
      const candidate = wanted === null ? undefined : registry.get(partner.partnerId)?.versions[wanted];
      if (wanted !== null && !candidate) {
        log.warn('candidate partner version not in this build; shadow mode skipped', { partnerId: partner.partnerId, candidateVersion: wanted });
      }
      return {
        selected: {
          partnerId: live.partnerId,
          name: row.name,
          liveVersion: live.version,
          candidateVersion: candidate ? candidate.version : null,
          reconciliation: {
            via: live.reconciliation.via,
            pollEveryMs:
              live.reconciliation.via === 'webhook' || !live.pollReconciliation ? null : (live.reconciliation.pollEveryMs ?? DEFAULT_POLL_EVERY_MS),
            deadlineMs: live.reconciliation.deadlineMs,
          },
        },
      };
    },

    /** Asks the partner (over HTTP). PartnerUnavailableError is retried; PartnerRejectedError / PartnerProtocolError are final. */
    async checkEligibility({ partnerId, version, customerId, card }: EligibilityRequestInput): Promise<EligibilityDecision> {
      return integration(partnerId, version).checkEligibility(partnerHttp(partnerId), { customerId, card });
    },
  };

  return {
    ...steps,
    // A link's life after its decision (benefit dates, unlink) runs on the same workers as the link.
    ...createBenefitLifecycleActivities({ db }),
    ...createCardUnlinkActivities({ db, partnerHttp, registry, now }),
    ...createShadowLinkActivities({ db, partnerHttp, integration }),

    /**
     * validateCard, selectPartner and checkEligibility as one local activity: the synchronous path pays one
     * workflow activation for the three instead of one each. Validation and selection only read, so they run
     * side by side. A failing step throws its own error name and message as an ApplicationFailure whose details
     * name the step, so retry policies, the workflow's failure and its progress read as with separate steps.
     */
    async checkCardEligibility({ customerId, card, asOf }: CheckCardEligibilityInput): Promise<CardEligibility> {
      const [validated, selected] = await Promise.allSettled([steps.validateCard(customerId, card, asOf), steps.selectPartner(card)]);
      if (validated.status === 'rejected') throw failedStep(validated.reason, { step: 'validate_card' });
      if (selected.status === 'rejected') throw failedStep(selected.reason, { step: 'select_partner' });
      const selection = selected.value;
      if (!selection.selected) return { selection };

      const partner = selection.selected;
      try {
        const eligibility = await steps.checkEligibility({ partnerId: partner.partnerId, version: partner.liveVersion, customerId, card });
        return { selection: { selected: partner }, eligibility };
      } catch (err) {
        throw failedStep(err, { step: 'check_eligibility', partner });
      }
    },

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

      // The usual case in one autocommitted statement on pg. It steps aside, having written nothing, when the
      // customer has a subscription due to start or lapse (the transaction below advances it first) or already
      // holds a live one elsewhere (the transaction below says so).
      try {
        const { rows } = await pool().query<LinkedRow & { due: boolean }>(LINK_IN_ONE_STATEMENT, [
          customerId,
          card.paymentMethodId,
          partnerId,
          linkStatus,
          workflowId,
          reference,
          benefit.startsAt,
          benefit.endsAt,
          new Date(input.linkedAt),
          `link_${randomUUID()}`,
          `sub_${randomUUID()}`,
        ]);
        const row = rows[0];
        if (row && !row.due) return linked(row);
      } catch (err) {
        if (!(err instanceof AlreadySubscribed) && (err as { code?: unknown }).code !== SLOT_TAKEN_SQLSTATE) throw err;
      }

      try {
        // One statement (one round trip inside the transaction): upsert the link, find or create its live
        // subscription. ON CONFLICT (active_customer_id) DO NOTHING leaves subscription_id null when the customer
        // already has a live one elsewhere; the transaction is then rolled back, link included.
        return await db.$transaction(async (tx) => {
          // The one-live-subscription rule honours the dates: a benefit already over by the decision is lapsed
          // first (as its timer would have), so it does not hold the customer's slot.
          await advanceDueSubscriptions(tx, new Date(input.linkedAt), Prisma.sql`customer_id = ${customerId}`);
          const [row] = await tx.$queryRaw<LinkedRow[]>`
            WITH upserted AS (
              INSERT INTO membership_links
                (link_id, customer_id, payment_method_id, partner_id, status, workflow_id, partner_reference, benefit_starts_at, benefit_ends_at)
              VALUES
                (${`link_${randomUUID()}`}, ${customerId}, ${card.paymentMethodId}, ${partnerId}, ${linkStatus}::"LinkStatus", ${workflowId},
                 ${reference}, ${benefit.startsAt}, ${benefit.endsAt})
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
               WHERE customer_id = ${customerId} AND payment_method_id = ${card.paymentMethodId} AND partner_id = ${partnerId}
                 AND NOT EXISTS (SELECT 1 FROM upserted)
            ), live AS (
              SELECT s.subscription_id, s.status FROM dashpass_subscriptions s JOIN link ON s.link_id = link.link_id
               WHERE s.status IN ('provisional', 'scheduled', 'active')
               LIMIT 1
            ), created AS (
              INSERT INTO dashpass_subscriptions (subscription_id, customer_id, link_id, status, active_customer_id, starts_at, ends_at)
              SELECT ${`sub_${randomUUID()}`}, ${customerId}, link.link_id,
                     (CASE WHEN link.status <> 'active' THEN 'provisional'
                           WHEN COALESCE(link.benefit_starts_at, ${benefit.startsAt}) > ${new Date(input.linkedAt)}::timestamptz THEN 'scheduled'
                           ELSE 'active' END)::"SubscriptionStatus", ${customerId},
                     COALESCE(link.benefit_starts_at, ${benefit.startsAt}), link.benefit_ends_at
                FROM link
               WHERE NOT EXISTS (SELECT 1 FROM live)
              ON CONFLICT (active_customer_id) DO NOTHING
              RETURNING subscription_id, status
            )
            SELECT link.link_id, link.status::text AS status, link.partner_reference, link.benefit_starts_at, link.benefit_ends_at, link.written,
                   COALESCE(live.subscription_id, created.subscription_id) AS subscription_id,
                   COALESCE(live.status, created.status)::text AS subscription_status
              FROM link LEFT JOIN live ON true LEFT JOIN created ON true`;
          if (!row) throw new Error(`membership link for ${workflowId} was written concurrently; retrying`);
          return linked(row);
        });
      } catch (err) {
        if (!(err instanceof AlreadySubscribed)) throw err;
        const existing = await db.dashPassSubscription.findUnique({ where: { activeCustomerId: customerId }, select: { subscriptionId: true } });
        return { kind: 'already_subscribed', subscriptionId: existing?.subscriptionId ?? null };
      }
    },

    /**
     * Shadow mode: asks the candidate version in dry mode (its eligibility call only; it writes no link and no
     * subscription) and records the comparison with the live decision. A candidate that throws is recorded as
     * a mismatch, except for an unavailable partner, which is retried.
     */
    async compareShadowEligibility(input: ShadowInput): Promise<ShadowResult> {
      const { partnerId, liveVersion, candidateVersion, customerId, card, liveDecision, workflowId } = input;
      let candidateDecision: ShadowDecision;
      try {
        candidateDecision = await integration(partnerId, candidateVersion).checkEligibility(partnerHttp(partnerId), { customerId, card });
      } catch (err) {
        if (err instanceof Error && err.name === 'PartnerUnavailableError') throw err;
        candidateDecision = { kind: 'error', error: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
      }
      const matched = sameDecision(liveDecision, candidateDecision);
      // One row per run: a retried attempt finds the row its predecessor wrote. The window's slack absorbs clock
      // skew between the Temporal server (run start) and the database (created_at).
      const inserted = await db.$executeRaw`
        INSERT INTO shadow_comparisons
          (partner_id, live_version, candidate_version, customer_id, workflow_id, live_decision, candidate_decision, matched)
        SELECT ${partnerId}, ${liveVersion}, ${candidateVersion}, ${customerId}, ${workflowId},
               ${JSON.stringify(liveDecision)}::jsonb, ${JSON.stringify(candidateDecision)}::jsonb, ${matched}
        WHERE NOT EXISTS (
          SELECT 1 FROM shadow_comparisons
          WHERE workflow_id = ${workflowId} AND candidate_version = ${candidateVersion}
            AND created_at >= ${new Date(input.runStartedAt)}::timestamptz - interval '1 minute'
        )`;
      return { matched, candidateDecision, recorded: inserted > 0 };
    },

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

export type CardLinkActivities = ReturnType<typeof createCardLinkActivities>;

/** Same decision kind and, where the kind carries one, the same reason. References may differ between versions. */
export function sameDecision(live: EligibilityDecision, candidate: ShadowDecision): boolean {
  if (live.kind !== candidate.kind) return false;
  if (live.kind === 'not_eligible' && candidate.kind === 'not_eligible') return live.reason === candidate.reason;
  return true;
}
