import type { SqlClient } from '../db/sql.ts';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { PrismaClient } from '../db/generated/client.ts';
import type { Hlc } from './envelope.ts';
import type { StreamWorkflowInput } from '../temporal/contract.ts';
import type { ChangefeedTable, TableRows } from './tables.ts';

/** A decoded changefeed message for one row of one table. */
export interface Change<Row> {
  table: ChangefeedTable;
  key: unknown[];
  /** The JSON-array key text, as used for Kafka keys and watermarks. */
  rowKey: string;
  op: 'insert' | 'update' | 'delete';
  before: Row | null;
  after: Row | null;
  updated: Hlc;
  /** The `updated` text exactly as received. */
  updatedText: string;
  /** Where the message came from. */
  source: { topic: string; partition: number; offset: string };
}

export type AnyChange = { [T in ChangefeedTable]: Change<TableRows[T]> }[ChangefeedTable];

export interface ProcessContext {
  db: PrismaClient;
  /** Where the framework's own hot statements (watermarks, outcomes) run: a `pg` pool in the worker; `db` if absent. */
  sql?: SqlClient;
  temporal: Client;
  log: Logger;
}

/** What a sub-processor asks the framework to hand to the stream workflow of (sub-processor, shard key). */
export interface StreamEnqueue<T = unknown> {
  shardKey: string;
  /** The registered batch activity the workflow runs its queue through. */
  activity: string;
  payload: T;
  /** Start options, used only when this signal starts the workflow. */
  batch?: Partial<StreamWorkflowInput['batch']>;
  /** The batch activity's retry bounds; a start option too: a running workflow (and its continue-as-new runs) keeps the bounds it started with. */
  retry?: StreamWorkflowInput['retry'];
}

export type ProcessResult =
  /** `applied`: the sub-processor acted itself (wrote a row). `ignored`: it decided there was nothing to do. */
  | { outcome: 'applied' | 'ignored'; workflowId?: string; detail?: string }
  /**
   * Hand the change to a long-running stream workflow. The framework groups a batch's enqueues by shard and sends
   * each group with one SignalWithStart; the change is then `signalled`, and `applied` once the workflow's batch
   * activity has recorded its effect.
   */
  | { outcome: 'enqueue'; stream: StreamEnqueue; detail?: string };

/** `retry` backs off and tries again (up to the framework's limit); `dead-letter` gives up at once. */
export type ErrorDecision = 'retry' | 'dead-letter';

/**
 * A pluggable unit of work on a table's change stream. The framework does everything else: decoding,
 * duplicate and stale filtering per (sub-processor, table, key), retries with exponential backoff, logs,
 * metrics and the dead-letter queue. Sub-processors are attached to tables in server/stream/registry.ts.
 *
 * Delivery is at-least-once, so `process` must be idempotent; the watermark makes a redelivered change a
 * no-op in the common case, but a crash between acting and recording can still repeat it.
 */
export interface SubProcessor<Row = TableRows[ChangefeedTable]> {
  /** Stable identifier: part of watermarks, dead letters and workflow IDs. */
  readonly name: string;
  /** Cheap and pure: does this change concern this sub-processor? A rejected change is recorded as `ignored`. */
  accepts(change: Change<Row>): boolean;
  /** Acts on the change, or returns what to enqueue in a stream workflow. Throw to fail; `onError` decides whether to retry. */
  process(change: Change<Row>, ctx: ProcessContext): Promise<ProcessResult>;
  /** Classifies a failure of `process`; `attempt` counts from 1. */
  onError(change: Change<Row>, error: unknown, attempt: number): ErrorDecision;
}
