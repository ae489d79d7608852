import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CardFacts, EligibilityDecision } from '../../server/temporal/contract.ts';
import type pg from 'pg';
import { cardFactsProblems, expiryText, isExpired } from '../../server/card-link/card-rules.ts';
import { createPartnerHttp, type PartnerHttpOptions } from '../../server/card-link/partners/http.ts';
import { cardLinkPool } from '../../server/db/pg-pool.ts';
import type { PartnerHttp, PartnerIntegration } from '../../server/card-link/partners/partner.ts';
import { partnerRegistry, type PartnerRegistry } from '../../server/card-link/partners/registry.ts';
import type { PrismaClient } from '../../server/db/generated/client.ts';
import { createBenefitLifecycleActivities } from './benefit-lifecycle.ts';
import { createLinkWriter, type CreateLinkInput, type CreateLinkResult, type LinkPlan } from './card-link-write.ts';
import { createCardUnlinkActivities } from './card-unlink.ts';
import { createReconciliationActivities } from './reconciliation.ts';
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
  /** Workflow time the card must not have expired by; with `link`, also the decision's time that benefit dates count from. */
  asOf: string;
  /**
   * What to do about the link when the partner answers `eligible` (absent: nothing, the workflow calls createLink).
   * `write`: create it here (createLink), one hop instead of two. `plan`: only say which link and subscription a
   * write would make, when that is certain (no link of this card but an ended one, no live subscription of the
   * customer), for the workflow to answer before it writes. The ids are the ones a new link and subscription get.
   */
  link?: { mode: 'write' | 'plan'; workflowId: string; linkId: string; subscriptionId: string };
}

/**
 * What checkCardEligibility found: no partner for the card, or the partner and its answer; with `link`, for an
 * eligible card, the link it wrote (`write`) or the link a write will make (`plan`: null when that is not certain).
 */
export type CardEligibility =
  | { selection: Extract<SelectPartnerResult, { selected: null }> }
  | { selection: { selected: PartnerSelection }; eligibility: EligibilityDecision; created?: CreateLinkResult; plan?: LinkPlan | null };

/**
 * `details[0]` of a checkCardEligibility failure: the step that failed (the ones before it passed), the partner
 * once selected, and its answer when the link write failed.
 */
export interface CardEligibilityFailure {
  step: 'validate_card' | 'select_partner' | 'check_eligibility' | 'create_link';
  partner?: PartnerSelection;
  eligibility?: EligibilityDecision;
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

/** Poll interval for a partner that reconciles by polling without saying how often. */
export const DEFAULT_POLL_EVERY_MS = 60 * 60 * 1000;

export function createCardLinkActivities({ db, partnerHttp, registry = partnerRegistry, now = () => new Date(), pool = cardLinkPool }: CardLinkDeps) {
  const integration = (partnerId: string, version: string): PartnerIntegration => {
    try {
      return registry.resolve(partnerId, version);
    } catch (err) {
      throw new PartnerNotConfiguredError(err instanceof Error ? err.message : String(err));
    }
  };

  const writer = createLinkWriter({ db, pool, integration });

  const steps = {
    /**
     * The card is well formed, not expired at `asOf`, is the customer's own stored payment method, and some
     * partner issues it (network, country and BIN range).
     */
    async validateCard(customerId: string, card: CardFacts, asOf: string): Promise<{ valid: true }> {
      const problems = cardFactsProblems(card);
      if (problems.length > 0) throw new InvalidCardError('malformed_card', problems.join('; '));
      if (isExpired(card, new Date(asOf))) throw new InvalidCardError('card_expired', `card ending ${card.last4} expired ${expiryText(card)}`);

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

    /** Writes (or finds) the card's link and subscription: see card-link-write.ts. */
    createLink: (input: CreateLinkInput): Promise<CreateLinkResult> => writer.createLink(input),
  };

  return {
    ...steps,
    // A link's life after its decision (benefit dates, unlink) runs on the same workers as the link.
    ...createBenefitLifecycleActivities({ db }),
    ...createCardUnlinkActivities({ db, partnerHttp, registry, now }),
    ...createShadowLinkActivities({ db, partnerHttp, integration }),
    // A multi-match's outcome, for its reconciliation workflow.
    ...createReconciliationActivities({ db, partnerHttp, integration, now }),

    /**
     * validateCard, selectPartner and checkEligibility as one local activity: the synchronous path pays one
     * workflow activation for the three instead of one each. Validation and selection only read, so they run
     * side by side. A failing step throws its own error name and message as an ApplicationFailure whose details
     * name the step, so retry policies, the workflow's failure and its progress read as with separate steps.
     * With `link`, an eligible card's link is also written here (`write`: createLink, idempotent per workflow
     * id, so a re-run after a crash finds what the first run wrote) or planned (`plan`), saving another hop.
     */
    async checkCardEligibility({ customerId, card, asOf, link }: CheckCardEligibilityInput): Promise<CardEligibility> {
      const [validated, selected] = await Promise.allSettled([steps.validateCard(customerId, card, asOf), steps.selectPartner(card)]);
      if (validated.status === 'rejected') throw failedStep(validated.reason, { step: 'validate_card' });
      if (selected.status === 'rejected') throw failedStep(selected.reason, { step: 'select_partner' });
      const selection = selected.value;
      if (!selection.selected) return { selection };

      const partner = selection.selected;
      let eligibility: EligibilityDecision;
      try {
        eligibility = await steps.checkEligibility({ partnerId: partner.partnerId, version: partner.liveVersion, customerId, card });
      } catch (err) {
        throw failedStep(err, { step: 'check_eligibility', partner });
      }
      if (!link || eligibility.kind !== 'eligible') return { selection: { selected: partner }, eligibility };

      const request = { workflowId: link.workflowId, customerId, card, partnerId: partner.partnerId, partnerVersion: partner.liveVersion, decision: eligibility, linkedAt: asOf, linkId: link.linkId, subscriptionId: link.subscriptionId };
      try {
        if (link.mode === 'plan') return { selection: { selected: partner }, eligibility, plan: await writer.planLink(request) };
        return { selection: { selected: partner }, eligibility, created: await steps.createLink(request) };
      } catch (err) {
        throw failedStep(err, { step: 'create_link', partner, eligibility });
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

  };
}

export type CardLinkActivities = ReturnType<typeof createCardLinkActivities>;

/** Same decision kind and, where the kind carries one, the same reason. References may differ between versions. */
export function sameDecision(live: EligibilityDecision, candidate: ShadowDecision): boolean {
  if (live.kind !== candidate.kind) return false;
  if (live.kind === 'not_eligible' && candidate.kind === 'not_eligible') return live.reason === candidate.reason;
  return true;
}
