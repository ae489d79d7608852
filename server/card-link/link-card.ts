import { randomUUID } from 'node:crypto';
import {
  ServiceError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowIdReusePolicy,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PrismaClient } from '../db/generated/client.ts';
import { searchAttributes, TASK_QUEUES, WORKFLOW_TYPES, cardLinkWorkflowId, decisionUpdate, type CardLinkInput, type LinkOutcome } from '../temporal/contract.ts';
import { DEFAULT_RE_EVALUATION_POLICY, reEvaluation, type CurrentFacts, type ReEvaluationPolicy } from './re-evaluation.ts';
import type { CardLinkRequest } from './requests.ts';

// ─── Errors the route maps to HTTP statuses ────────────────────────────────────────────────────────────

/** 404. */
export class UnknownCustomerError extends Error {
  override name = 'UnknownCustomerError';
  constructor(readonly customerId: string) {
    super(`customer ${customerId} does not exist`);
  }
}

/** 409: the paymentMethodId is already another card's. */
export class PaymentMethodConflictError extends Error {
  override name = 'PaymentMethodConflictError';
  constructor(readonly paymentMethodId: string) {
    super(`payment method ${paymentMethodId} already belongs to a different card`);
  }
}

/** 503: the Temporal frontend cannot be reached; nothing was started. */
export class TemporalUnavailableError extends Error {
  override name = 'TemporalUnavailableError';
}

/** 504: the workflow runs, but its decision did not arrive in time. Re-sending the same request attaches to it. */
export class DecisionPendingError extends Error {
  override name = 'DecisionPendingError';
  constructor(
    readonly workflowId: string,
    readonly waitedMs: number,
  ) {
    super(`the card link ${workflowId} has not decided within ${waitedMs} ms; it continues in the background`);
  }
}

/**
 * The workflow failed a step instead of deciding (its run is closed as failed, so re-sending starts afresh).
 * `InvalidCardError` is the card's fault (422); the partner errors are the partner's (502).
 */
export class CardLinkFailedError extends Error {
  override name = 'CardLinkFailedError';
  constructor(
    readonly workflowId: string,
    /** The failed activity's error name, e.g. InvalidCardError, PartnerRejectedError, PartnerUnavailableError. */
    readonly type: string,
    readonly step: string | undefined,
    /** InvalidCardError's reason code, e.g. card_expired. */
    readonly reason: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get causedByCard(): boolean {
    return this.type === 'InvalidCardError';
  }
}

// ─── Linking ───────────────────────────────────────────────────────────────────────────────────────────

export interface LinkCardDeps {
  db: Pick<PrismaClient, '$queryRaw'>;
  temporal: Client;
  /** How long to wait for the decision before answering DecisionPendingError. */
  decisionTimeoutMs: number;
  /** Tests run their own worker on their own queue; everything else uses TASK_QUEUES.cardLink. */
  taskQueue?: string;
  /** Cool-downs before a decided card is evaluated again (DEFAULT_RE_EVALUATION_POLICY unless given). */
  reEvaluation?: ReEvaluationPolicy;
  now?: () => Date;
  /**
   * CARD_LINK_EARLY_RETURN: the workflow may answer `linked` once it has decided, before the link is written
   * (EARLY_RETURN_PATCH in worker/workflows/card-link.ts says what `linked` then guarantees). Off unless given.
   */
  earlyReturn?: boolean;
}

export interface LinkCardOptions {
  /** Who asked: the customer app, or a support agent's id. */
  requestedBy?: string;
  /** Support's re-check: a decided card that is not linked is evaluated again now, whatever its cool-down. */
  force?: boolean;
}

/** 409: a re-check was asked for a card whose latest evaluation linked it. */
export class NothingToRecheckError extends Error {
  override name = 'NothingToRecheckError';
}

export type LinkCardResult = LinkOutcome & { workflowId: string };

/**
 * A completed run holds the decision (and created the link and subscription): re-running it for a retry or a
 * double submit must not happen, so the start is rejected and the recorded result returned instead. A run that
 * failed, timed out or was terminated decided nothing, so a new submission may start over. Running workflows
 * are handled by the conflict policy: USE_EXISTING delivers the update to them.
 */
export const CARD_LINK_ID_REUSE_POLICY: WorkflowIdReusePolicy = 'ALLOW_DUPLICATE_FAILED_ONLY';

/**
 * Stores the card and asks the card-link workflow for its decision in one Update-With-Start call: the workflow
 * is started (or the running one for this customer and card is reused) and the update waits for the decision.
 */
export async function linkCard(deps: LinkCardDeps, request: CardLinkRequest, options: LinkCardOptions = {}): Promise<LinkCardResult> {
  const stored = await upsertPaymentMethod(deps.db, request);
  const { customerId, card } = request;
  const input: CardLinkInput = {
    customerId,
    card: { ...card, paymentMethodId: stored.paymentMethodId },
    requestedBy: options.requestedBy ?? 'customer-app',
    ...(deps.earlyReturn ? { earlyReturn: true } : {}),
  };
  const now = deps.now ?? (() => new Date());
  let generation = stored.generation;
  let force = options.force ?? false;
  // Why a generation in the workflow id rather than a looser reuse policy (ALLOW_DUPLICATE): that would let
  // each of N concurrent re-submissions start a run of its own once the previous one completes, so the id
  // would no longer pin one evaluation. A generation bumped by compare-and-set names exactly one new run, which
  // every concurrent request then joins (USE_EXISTING), and a completed one keeps answering for its generation.
  for (let attempt = 0; ; attempt++) {
    const workflowId = cardLinkWorkflowId(customerId, card.fingerprint, generation);
    const decided = await decide(deps, workflowId, input);
    if (decided !== 'completed') return { ...decided, workflowId };
    const recorded = await recordedDecision(deps.temporal, workflowId);
    const verdict = force
      ? recorded.outcome.status === 'linked' || recorded.outcome.status === 'pending_reconciliation'
        ? ({ due: false } as const)
        : ({ due: true } as const)
      : reEvaluation(recorded.outcome, recorded.decidedAt, now(), deps.reEvaluation ?? DEFAULT_RE_EVALUATION_POLICY, await currentFacts(deps.db, customerId, recorded.outcome));
    if (!verdict.due || attempt >= 2) {
      if (force) throw new NothingToRecheckError(`the card's latest evaluation ${workflowId} ended ${recorded.outcome.status}: there is nothing to re-check`);
      return { ...recorded.outcome, workflowId };
    }
    generation = await nextGeneration(deps.db, stored.paymentMethodId, generation);
    force = false;
  }
}

/** Update-With-Start tries: a start that raced another start of the same id is tried again (see `startRaced`). */
const DECIDE_ATTEMPTS = 3;

/**
 * Temporal's answer when Update-With-Start's start was deduplicated against a start of the same workflow id that
 * won a race (under load, often this call's own first attempt, which the client's gRPC retry re-sent with the same
 * request id): UNAVAILABLE "Workflow was not started: StartDeduped", meaning "retry the whole operation". A new
 * operation (new request id) then finds the running workflow and attaches its update.
 */
export function startRaced(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const cause = err.cause as { code?: number; message?: string } | undefined;
  const code = (err as { code?: number }).code ?? cause?.code;
  return code === GRPC_UNAVAILABLE && /StartDeduped/.test(`${err.message} ${cause?.message ?? ''}`);
}

/** Update-With-Start for one generation: its decision, or 'completed' when that generation already decided. */
async function decide(deps: LinkCardDeps, workflowId: string, input: CardLinkInput): Promise<LinkOutcome | 'completed'> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await decideOnce(deps, workflowId, input);
    } catch (err) {
      if (!startRaced(err) || attempt >= DECIDE_ATTEMPTS) throw err;
    }
  }
}

async function decideOnce(deps: LinkCardDeps, workflowId: string, input: CardLinkInput): Promise<LinkOutcome | 'completed'> {
  const { customerId } = input;
  const client = deps.temporal;
  const startOperation = new WithStartWorkflowOperation(WORKFLOW_TYPES.cardLink, {
    workflowId,
    taskQueue: deps.taskQueue ?? TASK_QUEUES.cardLink,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: CARD_LINK_ID_REUSE_POLICY,
    // With these the workflow's first task need not write them (one search-attribute upsert per workflow task).
    typedSearchAttributes: [
      { key: searchAttributes.customerId, value: customerId },
      { key: searchAttributes.linkStatus, value: 'in_progress' },
    ],
  });
  let reachedServer = false;
  startOperation.workflowHandle().then(
    () => (reachedServer = true),
    () => undefined, // The same error rejects the update call below, where it is handled.
  );

  try {
    return await client.withDeadline(Date.now() + deps.decisionTimeoutMs, () =>
      client.workflow.executeUpdateWithStart(decisionUpdate, { startWorkflowOperation: startOperation }),
    );
  } catch (err) {
    // This generation of (customer, card) already completed: the caller reads the decision it recorded.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'completed';
    if (err instanceof WorkflowUpdateFailedError) throw asCardLinkFailure(workflowId, err);
    if (startRaced(err)) throw err;
    if (isTemporalUnavailable(err)) throw new TemporalUnavailableError(describeUnavailable(err), { cause: err });
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      if (reachedServer || (await temporalAnswers(client))) throw new DecisionPendingError(workflowId, deps.decisionTimeoutMs);
      throw new TemporalUnavailableError(`Temporal did not answer within ${deps.decisionTimeoutMs} ms`, { cause: err });
    }
    throw err;
  }
}

/** A completed run's decision and when it was made (its close time). */
async function recordedDecision(client: Client, workflowId: string): Promise<{ outcome: LinkOutcome; decidedAt: Date }> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const outcome = (await handle.result()) as LinkOutcome;
    const { closeTime } = await handle.describe();
    return { outcome, decidedAt: closeTime ?? new Date() };
  } catch (resultErr) {
    throw asCardLinkFailure(workflowId, resultErr);
  }
}

/** Whether the customer's live-subscription slot (unique active_customer_id) is free, and the decision's link has ended. */
async function currentFacts(db: LinkCardDeps['db'], customerId: string, outcome: LinkOutcome): Promise<CurrentFacts> {
  const linkId = 'linkId' in outcome ? outcome.linkId : null;
  const rows = await db.$queryRaw<{ taken: boolean; ended: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM dashpass_subscriptions WHERE active_customer_id = ${customerId}) AS taken,
           EXISTS (SELECT 1 FROM membership_links WHERE link_id = ${linkId} AND status = 'ended') AS ended`;
  return { slotFree: rows[0]?.taken === false, linkEnded: rows[0]?.ended === true };
}

/**
 * Compare-and-set from `seen` to `seen + 1`: of many requests that saw the same generation, each gets the same
 * next one, whichever bumped it. A generation already moved further is returned as it is.
 */
async function nextGeneration(db: LinkCardDeps['db'], paymentMethodId: string, seen: number): Promise<number> {
  const rows = await db.$queryRaw<{ link_generation: number }[]>`
    UPDATE payment_methods
       SET link_generation = CASE WHEN link_generation = ${seen}::int THEN link_generation + 1 ELSE link_generation END
     WHERE payment_method_id = ${paymentMethodId}
    RETURNING link_generation`;
  const generation = rows[0]?.link_generation;
  if (generation === undefined) throw new Error(`payment method ${paymentMethodId} vanished while re-evaluating it`);
  return Math.max(generation, seen + 1);
}

function asCardLinkFailure(workflowId: string, err: unknown): unknown {
  if (!(err instanceof WorkflowUpdateFailedError || err instanceof WorkflowFailedError)) return err;
  const failure = err.cause;
  if (!(failure instanceof ApplicationFailure)) return err;
  const details = (failure.details?.[0] ?? {}) as { step?: unknown; reason?: unknown };
  return new CardLinkFailedError(
    workflowId,
    failure.type ?? 'ApplicationFailure',
    typeof details.step === 'string' ? details.step : undefined,
    typeof details.reason === 'string' ? details.reason : undefined,
    failure.message,
    { cause: err },
  );
}

/**
 * One statement, safe under concurrent double submits: inserts the card for an existing customer, or refreshes
 * the stored one (an expiry can change; the fingerprint, hence the card number, cannot). No row back means no
 * such customer.
 */
async function upsertPaymentMethod(db: LinkCardDeps['db'], { customerId, card }: CardLinkRequest): Promise<{ paymentMethodId: string; generation: number }> {
  const candidateId = card.paymentMethodId ?? `pm_${randomUUID()}`;
  let rows: { payment_method_id: string; link_generation: number }[];
  try {
    rows = await db.$queryRaw<{ payment_method_id: string; link_generation: number }[]>`
      INSERT INTO payment_methods (payment_method_id, customer_id, fingerprint, bin, last4, country, network, exp_month, exp_year)
      SELECT ${candidateId}, c.customer_id, ${card.fingerprint}, ${card.bin}, ${card.last4}, ${card.country}, ${card.network},
             ${card.expMonth}::int, ${card.expYear}::int
        FROM customers c
       WHERE c.customer_id = ${customerId}
      ON CONFLICT (customer_id, fingerprint) DO UPDATE
         SET bin = EXCLUDED.bin, last4 = EXCLUDED.last4, country = EXCLUDED.country, network = EXCLUDED.network,
             exp_month = EXCLUDED.exp_month, exp_year = EXCLUDED.exp_year
      RETURNING payment_method_id, link_generation`;
  } catch (err) {
    if (isUniqueViolation(err)) throw new PaymentMethodConflictError(candidateId);
    throw err;
  }
  const row = rows[0];
  if (!row) throw new UnknownCustomerError(customerId);
  return { paymentMethodId: row.payment_method_id, generation: row.link_generation };
}

function isUniqueViolation(err: unknown): boolean {
  // Prisma's driver adapters surface Postgres' SQLSTATE in different places across versions; 23505 is unique_violation.
  const text = err instanceof Error ? `${err.message} ${JSON.stringify((err as { meta?: unknown }).meta ?? {})}` : '';
  return /23505|unique constraint|UniqueConstraintViolation/i.test(text);
}

const GRPC_UNAVAILABLE = 14;

/** The Temporal frontend refused or dropped the connection. */
export function isTemporalUnavailable(err: unknown): boolean {
  return err instanceof ServiceError && (err.cause as { code?: number } | undefined)?.code === GRPC_UNAVAILABLE;
}

function describeUnavailable(err: unknown): string {
  const detail = err instanceof ServiceError && err.cause instanceof Error ? err.cause.message : '';
  return `Temporal is unreachable${detail ? `: ${detail.split('\n')[0]}` : ''}`;
}

/** Off the hot path: only after a timeout, to tell "Temporal is down" from "the decision is slow". */
async function temporalAnswers(client: Client): Promise<boolean> {
  try {
    await client.withDeadline(Date.now() + 1000, () => client.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}
