import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  startChild,
  TemporalFailure,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  CARD_LINK_NON_RETRYABLE_ERROR_TYPES,
  reconciliationWorkflowId,
  searchAttributes,
  type CardLinkInput,
  type CardLinkStep,
  type EligibilityDecision,
  type LinkOutcome,
} from '../../server/temporal/contract.ts';
import type { CardEligibility, CardEligibilityFailure, CardLinkActivities, CheckCardEligibilityInput, PartnerSelection, SelectPartnerResult } from '../activities/card-link.ts';
import type { CreateLinkResult, LinkPlan } from '../activities/card-link-write.ts';
import { CardLinkRecord, type LinkStatusValue } from './card-link-record.ts';
import { reconciliationWorkflow, type ReconciliationResult } from './reconciliation.ts';
import { CardLinkShadow } from './card-link-shadow.ts';


/**
 * The synchronous path: local activities run inside the workflow task that the Update-With-Start request
 * opens, so validate → select → eligibility → create link cost no server round trips and no timers. Retries
 * are quick and bounded (~3 s of backoff); a step still failing after them falls back to `durable` below.
 */
const fast = proxyLocalActivities<CardLinkActivities>({
  startToCloseTimeout: '5 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '100 ms', backoffCoefficient: 2, maximumInterval: '1 second', maximumAttempts: 5, nonRetryableErrorTypes: CARD_LINK_NON_RETRYABLE_ERROR_TYPES },
});

/** The same steps as normal activities, with long exponential backoff, for a partner or database that stays down. */
const durable = proxyActivities<CardLinkActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: CARD_LINK_NON_RETRYABLE_ERROR_TYPES },
});

type FastStep = 'checkCardEligibility' | 'validateCard' | 'selectPartner' | 'checkEligibility' | 'createLink';

/**
 * Runs validate → select → eligibility as one local activity (checkCardEligibility) instead of three. Histories
 * from before it have the three steps' markers and replay the step-by-step path.
 */
export const ONE_ELIGIBILITY_ACTIVITY_PATCH = 'card-link-one-eligibility-activity';

/**
 * Search attributes are written once per workflow task, with everything that changed in it, instead of once per
 * change: the synchronous path is a single workflow task, whose intermediate values nobody could see anyway.
 * Runs started by linkCard() carry CustomerId and LinkStatus `in_progress` from their start.
 */
export const ONE_SEARCH_ATTRIBUTE_UPSERT_PATCH = 'card-link-one-search-attribute-upsert';

/**
 * Fewer hops: checkCardEligibility also writes an eligible card's link (createLink, with the decision's workflow
 * time and ids the workflow chose), so the usual synchronous path is one local activity instead of two. A
 * multi-match still writes its pending link as a step of its own. Histories from before it replay two hops.
 */
export const CHECK_AND_LINK_PATCH = 'card-link-check-and-link';

/**
 * Early return (only for runs whose input asks for it, `CardLinkInput.earlyReturn`; linkCard() sets it under
 * CARD_LINK_EARLY_RETURN=on): when checkCardEligibility can plan the link of an eligible card, the decision update
 * answers `linked` with the planned link and subscription ids and benefit end, and the link is written afterwards
 * by a durable createLink activity. What `linked` then guarantees is weaker than the synchronous contract:
 * - the partner said eligible, and the answer is recorded in the workflow's history before the caller gets it;
 * - when the decision was made, the card had no link with the partner but an ended one and the customer no live
 *   subscription, so the write will create exactly the link and subscription answered, with those ids;
 * - the write runs durably (retried until it succeeds, across worker crashes), usually a few ms later. A client
 *   reading the enrollment in between sees the workflow at create_link (progress outcome `linked`, LinkStatus
 *   `linked`) and no link or subscription rows yet;
 * - if a concurrent link of another card takes the customer's live-subscription slot between the decision and
 *   the write, the write writes nothing and the run ends `not_eligible` / `customer_already_subscribed` (its
 *   result, progress and LinkStatus say so): the `linked` answer is withdrawn, and nothing was ever linked.
 */
export const EARLY_RETURN_PATCH = 'card-link-early-return';

/**
 * Runs a step as a local activity; if it still fails retryably after its quick retries, as a durable activity
 * (calling `fallBack` first). `fallBack` is false for runs from before ONE_ELIGIBILITY_ACTIVITY_PATCH: those looked
 * for an ActivityFailure, which a local activity never rejects with, so they never fell back, and their replays
 * must not either.
 */
async function runStep<K extends FastStep>(
  name: K,
  fallBack: false | (() => void),
  ...args: Parameters<CardLinkActivities[K]>
): Promise<Awaited<ReturnType<CardLinkActivities[K]>>> {
  type Fn = (...a: Parameters<CardLinkActivities[K]>) => Promise<Awaited<ReturnType<CardLinkActivities[K]>>>;
  try {
    return await (fast[name] as unknown as Fn)(...args);
  } catch (err) {
    const failure = applicationFailureOf(err);
    if (!fallBack || !failure || failure.nonRetryable || CARD_LINK_NON_RETRYABLE_ERROR_TYPES.includes(failure.type ?? '')) throw err;
    log.warn('fast step kept failing; retrying it as a durable activity', { step: name, error: failure.message });
    fallBack();
    return (durable[name] as unknown as Fn)(...args);
  }
}

/** The error an activity failed with: a local activity rejects with it as is, a normal one wraps it in an ActivityFailure. */
function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return undefined;
}

/** Where the eligibility steps leave a link: finished (no partner, or declined), or on to create_link. */
type Checked =
  | { finished: LinkOutcome }
  | {
      partner: PartnerSelection;
      eligibility: Extract<EligibilityDecision, { kind: 'eligible' | 'multi_match' }>;
      linkedAt: string;
      /** CHECK_AND_LINK_PATCH: the link checkCardEligibility wrote, or (EARLY_RETURN_PATCH) the one a write will make. */
      created?: CreateLinkResult;
      plan?: LinkPlan;
    };

/** What the progress query shows of a partner's answer: the decision's known fields only, nothing else it may echo. */
function partnerResponseOf(decision: EligibilityDecision, version: string): Record<string, unknown> {
  switch (decision.kind) {
    case 'eligible':
      return { version, decision: decision.kind, reference: decision.partnerReference };
    case 'not_eligible':
      return { version, decision: decision.kind, reason: decision.reason };
    case 'multi_match':
      return { version, decision: decision.kind, reference: decision.matchReference, candidates: decision.candidates };
  }
}

/** `card_expired: …` → `card_expired` (see InvalidCardError). */
function reasonCode(message: string): string | undefined {
  return /^([a-z_]+):/.exec(message)?.[1];
}

/**
 * Links a customer's card to the DashPass partner that issues it. One workflow per (customer, card
 * fingerprint) — `cardLinkWorkflowId` — so a double submit joins the running one instead of linking twice.
 * `decisionUpdate` answers as soon as the decision is known (`pending_reconciliation` for a multi-match,
 * which then waits for its child reconciliation workflow); `progressQuery` shows every completed step.
 */
export async function cardLinkWorkflow(input: CardLinkInput): Promise<LinkOutcome> {
  const { customerId, card } = input;
  const { workflowId, startTime, typedSearchAttributes } = workflowInfo();
  const record = new CardLinkRecord(workflowId, customerId, card, patched(ONE_SEARCH_ATTRIBUTE_UPSERT_PATCH));
  const { progress, upsert, flush, begin, complete, decide, finish } = record;
  record.start(customerId, typedSearchAttributes);

  const shadow = new CardLinkShadow({ workflowId, runStartedAt: startTime.toISOString(), customerId, card });
  const shadowLink = shadow.linkKnown;
  try {
    const outcome = await link();
    await shadow.running;
    await condition(allHandlersFinished);
    return outcome;
  } catch (err) {
    // Anything but a Temporal failure is a bug: let it fail the workflow task, to be retried once fixed.
    if (!(err instanceof TemporalFailure)) throw err;
    if (isCancellation(err)) {
      record.cancelled(err);
      throw err;
    }
    const step = record.failingStep;
    const failed = asWorkflowFailure(err, step);
    record.failed(failed, step);
    await shadow.running;
    await condition(allHandlersFinished);
    throw failed;
  }

  async function link(): Promise<LinkOutcome> {
    const onePatch = patched(ONE_ELIGIBILITY_ACTIVITY_PATCH);
    const checkAndLink = onePatch && patched(CHECK_AND_LINK_PATCH);
    const early = checkAndLink && input.earlyReturn === true && patched(EARLY_RETURN_PATCH);
    // Chosen here (deterministic) so that an early answer can name them before the write, and a retry writes the same.
    const ids = checkAndLink ? { linkId: `link_${uuid4()}`, subscriptionId: `sub_${uuid4()}` } : {};
    const checked = !onePatch
      ? await checkCardStepByStep()
      : await checkCard(checkAndLink ? { mode: early ? 'plan' : 'write', workflowId, linkId: ids.linkId!, subscriptionId: ids.subscriptionId! } : undefined);
    if ('finished' in checked) {
      shadowLink(null, new Date().toISOString());
      return finish(checked.finished);
    }
    const { partner, eligibility, linkedAt } = checked;
    begin('create_link');
    const request = { workflowId, customerId, card, partnerId: partner.partnerId, partnerVersion: partner.liveVersion, decision: eligibility, linkedAt, ...ids };
    let created: CreateLinkResult;
    if (checked.created) {
      created = checked.created;
    } else if (checked.plan) {
      const { plan } = checked;
      decide({ status: 'linked', linkId: plan.linkId, subscriptionId: plan.subscriptionId, partnerId: partner.partnerId, benefitEndsAt: plan.benefitEndsAt });
      created = await durable.createLink(request);
    } else {
      created = await runStep('createLink', onePatch && flush, request);
    }
    const answered = checked.plan ? ' (after answering linked)' : '';
    if (created.kind === 'already_subscribed') {
      shadowLink(null, linkedAt);
      complete('create_link', `customer already subscribed${created.subscriptionId ? ` (${created.subscriptionId})` : ''}: nothing written${answered}`);
      const outcome: LinkOutcome = { status: 'not_eligible', partnerId: partner.partnerId, reason: 'customer_already_subscribed' };
      return finish(outcome);
    }
    shadowLink({ linkStatus: created.linkStatus, benefitStartsAt: created.benefitStartsAt, benefitEndsAt: created.benefitEndsAt }, linkedAt);
    complete('create_link', `${created.created ? 'created' : 'existing'} link ${created.linkId} (${created.linkStatus}), subscription ${created.subscriptionId} (${created.subscriptionStatus})${answered}`);
    if (checked.plan && (created.linkId !== checked.plan.linkId || created.subscriptionId !== checked.plan.subscriptionId)) {
      log.warn('the link written differs from the one answered early', { answered: checked.plan, written: { linkId: created.linkId, subscriptionId: created.subscriptionId } });
    }

    if (created.linkStatus === 'active') {
      const outcome: LinkOutcome = {
        status: 'linked',
        linkId: created.linkId,
        subscriptionId: created.subscriptionId,
        partnerId: partner.partnerId,
        benefitEndsAt: created.benefitEndsAt,
      };
      return finish(outcome);
    }

    const matchReference = created.partnerReference ?? (eligibility.kind === 'multi_match' ? eligibility.matchReference : '');
    decide({ status: 'pending_reconciliation', linkId: created.linkId, partnerId: partner.partnerId, matchReference });

    begin('reconcile');
    const child = await startChild(reconciliationWorkflow, {
      workflowId: reconciliationWorkflowId(workflowId),
      args: [
        {
          parentWorkflowId: workflowId,
          linkId: created.linkId,
          customerId,
          partnerId: partner.partnerId,
          partnerVersion: partner.liveVersion,
          matchReference,
          reconciliation: partner.reconciliation,
        },
      ],
      // If this workflow is terminated or cancelled, the child compensates instead of vanishing.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      typedSearchAttributes: [
        { key: searchAttributes.customerId, value: customerId },
        { key: searchAttributes.partnerId, value: partner.partnerId },
        { key: searchAttributes.linkStatus, value: 'pending_reconciliation' satisfies LinkStatusValue },
      ],
    });
    const reconciled: ReconciliationResult = await child.result();
    complete('reconcile', reconciled.matched ? `matched (${reconciled.resolvedBy})` : `not matched: ${reconciled.reason} (${reconciled.resolvedBy})`, {
      matched: reconciled.matched,
      resolvedBy: reconciled.resolvedBy,
      polls: reconciled.polls,
      ...(reconciled.matched ? {} : { reason: reconciled.reason }),
    });
    if (reconciled.matched) {
      return finish({
        status: 'linked',
        linkId: created.linkId,
        subscriptionId: reconciled.subscriptionId ?? created.subscriptionId,
        partnerId: partner.partnerId,
        benefitEndsAt: reconciled.benefitEndsAt,
      });
    }
    return finish({ status: 'reconciliation_failed', linkId: created.linkId, partnerId: partner.partnerId, reason: reconciled.reason });
  }

  /**
   * validate → select → eligibility in one local activity; each step is still recorded on its own. With `link`
   * (CHECK_AND_LINK_PATCH), the same activity writes (or plans) an eligible card's link, with benefit dates from
   * the time it was asked at, which its steps are then stamped with.
   */
  async function checkCard(link?: CheckCardEligibilityInput['link']): Promise<Checked> {
    begin('validate_card');
    const asOf = new Date().toISOString();
    if (link) record.stepsAt = asOf;
    let checked: CardEligibility;
    try {
      checked = await runStep('checkCardEligibility', flush, { customerId, card, asOf, ...(link ? { link } : {}) });
    } catch (err) {
      recordStepsBefore(err);
      throw err;
    } finally {
      record.stepsAt = undefined;
    }
    if (link) record.stepsAt = asOf;
    try {
      complete('validate_card', 'valid');

      begin('select_partner');
      if (!('eligibility' in checked)) return noPartner(checked.selection);
      const partner = checked.selection.selected;
      recordPartner(partner);

      begin('check_eligibility');
      const recorded = recordEligibility(partner, checked.eligibility);
      if ('finished' in recorded) return recorded;
      return { ...recorded, ...(link ? { linkedAt: asOf } : {}), ...(checked.created ? { created: checked.created } : {}), ...(checked.plan ? { plan: checked.plan } : {}) };
    } finally {
      record.stepsAt = undefined;
    }
  }

  /** A failed checkCardEligibility names the step that failed: record the steps before it, and fail at that one. */
  function recordStepsBefore(err: unknown): void {
    const failed = applicationFailureOf(err)?.details?.[0] as CardEligibilityFailure | undefined;
    if (!failed?.step || failed.step === 'validate_card') return;
    complete('validate_card', 'valid');
    begin('select_partner');
    if (failed.partner) {
      recordPartner(failed.partner);
      begin('check_eligibility');
      if (failed.eligibility) {
        complete('check_eligibility', failed.eligibility.kind, partnerResponseOf(failed.eligibility, failed.partner.liveVersion));
        begin('create_link');
      }
    }
  }

  /** The same steps as three local activities: the path of histories from before ONE_ELIGIBILITY_ACTIVITY_PATCH. */
  async function checkCardStepByStep(): Promise<Checked> {
    begin('validate_card');
    // Selecting only reads, so it runs beside validation. Its result is used only once the card is valid.
    const selecting = runStep('selectPartner', false, card);
    try {
      await runStep('validateCard', false, customerId, card, new Date().toISOString());
    } catch (err) {
      // Let the selection settle first: the run must not close under a local activity still in flight.
      await selecting.catch(() => undefined);
      throw err;
    }
    complete('validate_card', 'valid');

    begin('select_partner');
    const selection = await selecting;
    if (!selection.selected) return noPartner(selection);
    const partner = selection.selected;
    recordPartner(partner);

    begin('check_eligibility');
    const eligibility = await runStep('checkEligibility', false, { partnerId: partner.partnerId, version: partner.liveVersion, customerId, card });
    return recordEligibility(partner, eligibility);
  }

  function noPartner(selection: Extract<SelectPartnerResult, { selected: null }>): Checked {
    complete('select_partner', `no partner: ${selection.reason}`);
    return { finished: { status: 'not_eligible', partnerId: selection.partnerId, reason: selection.reason } };
  }

  function recordPartner(partner: PartnerSelection): void {
    progress.partnerId = partner.partnerId;
    upsert([{ key: searchAttributes.partnerId, value: partner.partnerId }]);
    complete('select_partner', `${partner.partnerId}@${partner.liveVersion}${partner.candidateVersion ? ` (shadow ${partner.candidateVersion})` : ''}`);
  }

  /** Records the partner's answer and starts the shadow comparison; a decline finishes the link. */
  function recordEligibility(partner: PartnerSelection, eligibility: EligibilityDecision): Checked {
    complete('check_eligibility', eligibility.kind, partnerResponseOf(eligibility, partner.liveVersion));
    shadow.decided(partner, eligibility);
    if (eligibility.kind === 'not_eligible') return { finished: { status: 'not_eligible', partnerId: partner.partnerId, reason: eligibility.reason } };
    // The link's benefit dates count from the decision.
    return { partner, eligibility, linkedAt: new Date().toISOString() };
  }

}

/**
 * A failed step as the workflow's (and the decision update's) failure: an ApplicationFailure whose type is the
 * activity's error name (InvalidCardError, PartnerRejectedError, PartnerUnavailableError…), non-retryable.
 */
function asWorkflowFailure(err: TemporalFailure, step: CardLinkStep): ApplicationFailure {
  const cause = err instanceof ActivityFailure || err instanceof ChildWorkflowFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const reason = cause.type === 'InvalidCardError' ? reasonCode(cause.message) : undefined;
    return ApplicationFailure.create({
      type: cause.type ?? 'ApplicationFailure',
      message: cause.message,
      nonRetryable: true,
      details: [{ step, ...(reason ? { reason } : {}) }],
      cause: err,
    });
  }
  // A timeout or termination of a step.
  return ApplicationFailure.create({ type: cause?.name ?? err.name, message: err.message, nonRetryable: true, details: [{ step }], cause: err });
}
