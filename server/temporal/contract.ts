import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/**
 * What the starters (console, server/, scripts/) and the worker (worker/) agree on: task queues, workflow type names,
 * search attributes, every query, signal and update, the non-retryable error types of each retry policy, and the
 * payloads they carry. The one home for Temporal names: a workflow type is named here and nowhere else (a type-level
 * check in worker/workflows/index.ts ties each name to an exported workflow). Workflow code imports this too, so it
 * must stay free of Node built-ins and I/O.
 */
export const TASK_QUEUES = {
  /** Scheduled and support workflows: the expiry sweep, retention. */
  default: 'dashops-default',
  /** Long-running stream-processing workflows fed by the Kafka sub-processors, and their batch activities. */
  stream: 'dashops-stream',
  /** Bulk replay / discard of dead letters (served by the default-worker role), apart so a long one never delays the rest. */
  deadLetterBulk: 'dashops-dead-letter-bulk',
  /** The card-link platform: link, reconciliation, unlink, the benefit-lifecycle sweep (the cardlink-worker role). */
  cardLink: 'dashops-card-link',
} as const;

/** Every workflow the worker registers, by the name starters and schedules use. */
export const WORKFLOW_TYPES = {
  streamProcessing: 'streamProcessingWorkflow',
  deadLetterBulk: 'deadLetterBulkWorkflow',
  expirySweep: 'expirySweepWorkflow',
  retention: 'retentionWorkflow',
  cardLink: 'cardLinkWorkflow',
  reconciliation: 'reconciliationWorkflow',
  cardUnlink: 'cardUnlinkWorkflow',
  benefitLifecycleSweep: 'benefitLifecycleSweepWorkflow',
  /** Benchmarks only (scripts/bench-temporal.ts, scripts/bench-cardlink.ts): the floor a card link is measured against. */
  emptyDecision: 'emptyDecisionWorkflow',
  localActivityChain: 'localActivityChainWorkflow',
} as const;
export type WorkflowTypeName = (typeof WORKFLOW_TYPES)[keyof typeof WORKFLOW_TYPES];

export const searchAttributes = {
  customerId: defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD),
  partnerId: defineSearchAttributeKey('PartnerId', SearchAttributeType.KEYWORD),
  linkStatus: defineSearchAttributeKey('LinkStatus', SearchAttributeType.KEYWORD),
} as const;

// ─── Non-retryable error types, one list per retry policy ──────────────────────────────────────────────
// `Error.name`s no retry can fix; everything else is retried with backoff. Unit tests keep them in step with the
// errors the activities throw (worker/activities/card-link.test.ts).

/**
 * Stream batch activities (worker/activities/inventory-stream.ts). Everything else is retried up to the run's `retry`
 * bounds: later messages of the shard wait behind a failing batch, because skipping it would break per-key ordering.
 */
export const STREAM_NON_RETRYABLE_ERROR_TYPES = ['InvalidStreamMessageError', 'ZodError'];

/** A bulk operation's page activity: its `dead_letter_bulk_ops` row is gone. */
export const DEAD_LETTER_BULK_NON_RETRYABLE_ERROR_TYPES = ['BulkOpNotFoundError'];

/** Card-link activities (worker/activities/card-link.ts) and the partner errors in server/card-link/partners/errors.ts. */
export const CARD_LINK_NON_RETRYABLE_ERROR_TYPES = ['InvalidCardError', 'PartnerNotConfiguredError', 'PartnerRejectedError', 'PartnerProtocolError'];

/** The reconciliation child's poll, confirm and compensate activities. */
export const RECONCILIATION_NON_RETRYABLE_ERROR_TYPES = [
  'LinkNotFoundError',
  'ReconciliationNotPollableError',
  'PartnerNotConfiguredError',
  'PartnerRejectedError',
  'PartnerProtocolError',
];

/** Ending a link here (the unlink workflow's first steps): also a link that does not exist. */
export const CARD_UNLINK_NON_RETRYABLE_ERROR_TYPES = [...CARD_LINK_NON_RETRYABLE_ERROR_TYPES, 'LinkNotFoundError'];

// ─── Stream-processing workflows ───────────────────────────────────────────────────────────────────────

/** One unit of work signalled into a stream-processing workflow. `id` lets the workflow drop a re-signalled duplicate. */
export interface StreamMessage<T = unknown> {
  /** `<table>:<row key>@<updated>` (see changeMessageId); the effect ledger `stream_applied` is keyed by it. */
  id: string;
  payload: T;
  /** When the source row was committed (ms since epoch), for end-to-end latency. */
  committedAtMs?: number;
  /** The change it came from. Absent on messages signalled before it existed: `id` still names the change. */
  source?: StreamMessageSource;
}

/** Where a stream message's change was read: for the effect ledger, workflow-stage dead letters and the console's trace. */
export interface StreamMessageSource {
  table: string;
  rowKey: string;
  updated: string;
  topic: string;
  partition: number;
  offset: string;
}

export interface StreamWorkflowInput {
  subProcessor: string;
  shardKey: string;
  /** The registered activity each batch runs through: `(messages: StreamMessage[]) => Promise<unknown>`. */
  activity: string;
  /** Batching: run when this many are queued, or when the oldest has waited maxWaitMs. maxSize 1 = no batching. */
  batch: { maxSize: number; maxWaitMs: number };
  /** After this long the run completes if its queue is empty, else continues-as-new carrying the queue. */
  runForMs: number;
  /** Continue-as-new once history reaches this many events, well before Temporal's limits. Default 4000. */
  maxHistoryEvents?: number;
  /**
   * The batch activity's retry bounds (per sub-processor). A batch that still fails is split until the failing
   * messages are found, and each becomes a dead letter (stage `workflow`). Runs started before this existed retry forever.
   */
  retry?: { maximumAttempts: number; initialIntervalMs: number; maximumIntervalMs: number };
  /** Carried across continue-as-new. */
  carried?: { queue: StreamMessage[]; recentIds: string[]; processed: number; generation: number; failed?: number };
}

export interface StreamWorkflowStatus {
  queued: number;
  processed: number;
  batches: number;
  generation: number;
  startedAtMs: number;
  /** Messages the batch activity rejected as unprocessable (non-retryable) and the workflow dropped. */
  failed?: number;
}

export const enqueueSignal = defineSignal<[StreamMessage[]]>('enqueue');

/**
 * A stream workflow's batch activity retries for about two and a half minutes (1 s doubling to 30 s) before the batch
 * is split and its failing messages dead-lettered: long enough to ride out a database restart.
 */
export const DEFAULT_STREAM_RETRY: NonNullable<StreamWorkflowInput['retry']> = { maximumAttempts: 10, initialIntervalMs: 1000, maximumIntervalMs: 30_000 };

/** What a stream workflow hands to `recordStreamDeadLetter` for a message its batch activity gave up on. */
export interface StreamDeadLetterInput {
  subProcessor: string;
  activity: string;
  message: StreamMessage;
  error: string;
  /** Attempts of the batch activity on the batch that ended with this message alone. */
  attempts: number;
}
export const streamStatusQuery = defineQuery<StreamWorkflowStatus>('status');

// ─── Retention ─────────────────────────────────────────────────────────────────────────────────────────

/** What retentionWorkflow deletes: per table, rows older than `before` (see server/stream/retention.ts). */
export interface RetentionPlanStep {
  table: 'change_outcomes' | 'stream_applied' | 'pipeline_samples' | 'dead_letters';
  before: string;
  retainDays: number;
}

export interface RetentionInput {
  /** Rows per delete; default 5000. */
  batchSize?: number;
  /** Continue-as-new at this history length; default 2000. */
  maxHistoryEvents?: number;
  /** Carried across continue-as-new: the run's plan, the table it had reached and what it deleted so far. */
  carried?: { plan: RetentionPlanStep[]; step: number; horizonSet: boolean; deleted: Record<string, number> };
}

export interface RetentionResult {
  plan: RetentionPlanStep[];
  /** Rows deleted per table, over every run of the chain. */
  deleted: Record<string, number>;
}

/** One long-running workflow per (sub-processor, shard key). */
export function streamWorkflowId(subProcessor: string, shardKey: string): string {
  return `stream:${subProcessor}:${shardKey}`;
}

// ─── Dead-letter bulk operations ───────────────────────────────────────────────────────────────────────

/** Per-entry tallies of a bulk operation, as persisted on its `dead_letter_bulk_ops` row. */
export interface DeadLetterBulkCounts {
  done: number;
  /** Replayed, or discarded. */
  succeeded: number;
  superseded: number;
  /** The replay failed (the entry stays pending) or the entry could not be processed. */
  failed: number;
  /** No longer pending by its turn, or claimed by another bulk operation. */
  skipped: number;
}

export interface DeadLetterBulkInput {
  /** The `dead_letter_bulk_ops` row this run carries out. */
  opId: string;
  /** Entries per second, at most. */
  ratePerSecond: number;
  /** Entries claimed and processed per activity; default about two seconds' worth, 1–100. */
  pageSize?: number;
  /** Continue-as-new after this many pages; default 200. */
  pagesPerRun?: number;
  /** Carried across continue-as-new. */
  carried?: { cursor: string; counts: DeadLetterBulkCounts; cancelledBy: DeadLetterBulkCanceller | null };
}

export interface DeadLetterBulkCanceller {
  id: string;
  role: string;
}

export interface DeadLetterBulkProgress extends DeadLetterBulkCounts {
  /** Every selected entry with an id up to this one has been looked at. */
  cursor: string;
  state: 'running' | 'cancelling' | 'finished' | 'cancelled' | 'failed';
}

export const deadLetterBulkCancelSignal = defineSignal<[DeadLetterBulkCanceller]>('cancel');
export const deadLetterBulkProgressQuery = defineQuery<DeadLetterBulkProgress>('progress');

/** The workflow of bulk operation `opId`: one per operation. */
export function deadLetterBulkWorkflowId(opId: string): string {
  return `dead-letter-bulk:${opId}`;
}

// ─── Card link ─────────────────────────────────────────────────────────────────────────────────────────

/** Card facts the platform may hold: never the full PAN. */
export interface CardFacts {
  paymentMethodId: string;
  fingerprint: string;
  bin: string;
  last4: string;
  country: string;
  network: string;
  expMonth: number;
  expYear: number;
}

export interface CardLinkInput {
  customerId: string;
  card: CardFacts;
  /** Who asked (the customer app, or a support agent). */
  requestedBy: string;
  /** The caller accepts `linked` before the link is written (CARD_LINK_EARLY_RETURN; worker/workflows/card-link.ts EARLY_RETURN_PATCH). */
  earlyReturn?: boolean;
}

export type EligibilityDecision =
  | { kind: 'eligible'; partnerReference: string }
  | { kind: 'not_eligible'; reason: string }
  | { kind: 'multi_match'; matchReference: string; candidates: number };

export type LinkOutcome =
  | { status: 'linked'; linkId: string; subscriptionId: string; partnerId: string; benefitEndsAt: string | null }
  | { status: 'not_eligible'; partnerId: string | null; reason: string }
  | { status: 'pending_reconciliation'; linkId: string; partnerId: string; matchReference: string }
  | { status: 'reconciliation_failed'; linkId: string; partnerId: string; reason: string };

/** Step names of the card-link workflow, in order. */
export const CARD_LINK_STEPS = [
  'validate_card',
  'select_partner',
  'check_eligibility',
  'create_link',
  'reconcile',
  'complete',
] as const;
export type CardLinkStep = (typeof CARD_LINK_STEPS)[number];

export interface CompletedStep {
  step: CardLinkStep;
  at: string;
  outcome: string;
  /** What the partner answered, when the step called one. */
  partnerResponse?: unknown;
}

export interface CardLinkProgress {
  workflowId: string;
  customerId: string;
  partnerId: string | null;
  /** Masked: last4 only. */
  card: { network: string; last4: string };
  currentStep: CardLinkStep | 'done';
  completed: CompletedStep[];
  outcome: LinkOutcome | null;
}

/** Answers as soon as the decision is known (before any days-long reconciliation): the synchronous API's wait. */
export const decisionUpdate = defineUpdate<LinkOutcome>('decision');
export const progressQuery = defineQuery<CardLinkProgress>('progress');

/** Reconciliation answer from a partner's webhook (or an agent resolving a multi-match by hand). */
export interface ReconciliationAnswer {
  matched: boolean;
  reason?: string;
  resolvedBy: string;
}
export const reconciliationAnswerSignal = defineSignal<[ReconciliationAnswer]>('reconciliationAnswer');

/**
 * Idempotency without locks: one workflow per (customer, card, evaluation generation). Generation 0 keeps the
 * original id; a re-evaluation's is suffixed `.r<n>` (a fingerprint has no dot, a customer id has no bound on colons).
 */
export function cardLinkWorkflowId(customerId: string, fingerprint: string, generation = 0): string {
  return `card-link:${customerId}:${fingerprint}${generation > 0 ? `.r${generation}` : ''}`;
}

/** The inverse of cardLinkWorkflowId, or null for any other id. */
export function parseCardLinkWorkflowId(workflowId: string): { customerId: string; fingerprint: string; generation: number } | null {
  const match = /^card-link:([A-Za-z0-9][A-Za-z0-9_.:-]{0,63}):([A-Za-z0-9_-]{8,128})(?:\.r([1-9]\d{0,8}))?$/.exec(workflowId);
  if (!match?.[1] || !match[2]) return null;
  return { customerId: match[1], fingerprint: match[2], generation: match[3] ? Number(match[3]) : 0 };
}

export function reconciliationWorkflowId(linkWorkflowId: string): string {
  return `${linkWorkflowId}:reconciliation`;
}

// ─── Card unlink ───────────────────────────────────────────────────────────────────────────────────────

/** One unlink workflow per link, so concurrent unlinks of the same link join one run instead of racing. */
export function cardUnlinkWorkflowId(linkId: string): string {
  return `card-unlink:${linkId}`;
}

export interface CardUnlinkInput {
  linkId: string;
  reason: string;
  /** Who asked: `card-link-api`, or the support agent's user id. */
  requestedBy: string;
}

export interface UnlinkOutcome {
  /** `already_unlinked`: the link had ended before (an earlier unlink, a lapse or a compensation), or this run already answered. */
  status: 'unlinked' | 'already_unlinked';
  linkId: string;
  customerId: string;
  partnerId: string;
  endedReason: string | null;
  endedSubscriptions: number;
}

export interface UnlinkProgress {
  outcome: UnlinkOutcome | null;
  /** The partner's acknowledgement, once it answered; null while it is being told (retried until it answers). */
  partnerAcknowledged: 'unlinked' | 'already_unlinked' | 'not_needed' | null;
}

/** Answers once the link and subscription are ended here; telling the partner goes on durably after. */
export const unlinkUpdate = defineUpdate<UnlinkOutcome>('unlink');
export const unlinkProgressQuery = defineQuery<UnlinkProgress>('unlinkProgress');
