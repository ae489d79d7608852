import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/**
 * What the starter (console, server/) and the worker (worker/) agree on: task queues, workflow type names
 * and search attributes. Workflow code imports this too, so it must stay free of Node built-ins.
 */
export const TASK_QUEUES = {
  /** Scheduled and support workflows: the expiry sweep, retention, benefit lifecycle. */
  default: 'dashops-default',
  /** Long-running stream-processing workflows fed by the Kafka sub-processors, and their batch activities. */
  stream: 'dashops-stream',
  /** Bulk replay / discard of dead letters (served by the default-worker role), apart so a long one never delays the rest. */
  deadLetterBulk: 'dashops-dead-letter-bulk',
} as const;

export const WORKFLOW_TYPES = {
  streamProcessing: 'streamProcessingWorkflow',
  deadLetterBulk: 'deadLetterBulkWorkflow',
} as const;

export const searchAttributes = {
  customerId: defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD),
  partnerId: defineSearchAttributeKey('PartnerId', SearchAttributeType.KEYWORD),
  linkStatus: defineSearchAttributeKey('LinkStatus', SearchAttributeType.KEYWORD),
} as const;

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
