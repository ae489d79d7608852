import type { Client } from '@temporalio/client';
import type { IHeaders, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { DeadLetter, DeadLetterStatus, Prisma, PrismaClient } from '../db/generated/client.ts';
import { decodeMessage } from './decode.ts';
import { formatHlc } from './envelope.ts';
import {
  describeError,
  subProcessorsFor,
  runSubProcessor,
  type AnySubProcessor,
  type RunOptions,
  type RunOutcome,
  type RunResult,
  type SubProcessorRegistry,
} from './run-sub-processor.ts';
import type { AnyChange } from './sub-processor.ts';
import { dlqTopicFor, isChangefeedTable, type ChangefeedTable } from './tables.ts';
import { readWatermark, type Db } from './watermarks.ts';
import type { Actor } from '../auth/actor.ts';

// ─── Errors the console maps to HTTP statuses ──────────────────────────────────────────────────────────

/** 404. */
export class DeadLetterNotFoundError extends Error {
  override name = 'DeadLetterNotFoundError';
  constructor(readonly id: string) {
    super(`dead letter ${id} does not exist`);
  }
}

/** 409: the entry cannot be acted on in its current state. */
export class DeadLetterConflictError extends Error {
  override name = 'DeadLetterConflictError';
}

/** 409: already replayed, superseded or discarded. */
export class DeadLetterNotPendingError extends DeadLetterConflictError {
  override name = 'DeadLetterNotPendingError';
  constructor(
    readonly id: string,
    readonly status: DeadLetterStatus,
  ) {
    super(`dead letter ${id} is ${status}, not pending`);
  }
}

/** 409: another replay of the same entry is running in this process. */
export class DeadLetterReplayInProgressError extends DeadLetterConflictError {
  override name = 'DeadLetterReplayInProgressError';
  constructor(readonly id: string) {
    super(`dead letter ${id} is already being replayed`);
  }
}

/** 422. */
export class DiscardReasonRequiredError extends Error {
  override name = 'DiscardReasonRequiredError';
  constructor() {
    super('a reason is required to discard a dead letter');
  }
}

/** 422: a malformed id, cursor or limit. */
export class InvalidDeadLetterQueryError extends Error {
  override name = 'InvalidDeadLetterQueryError';
}

// ─── Recording ─────────────────────────────────────────────────────────────────────────────────────────

/** The consumed message exactly as it arrived. */
export interface DeadLetterMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: IHeaders;
  topic: string;
  partition: number;
  offset: string;
}

/** `malformed`: could not be decoded. The others: a sub-processor failed, and `onError` gave up or attempts ran out. */
export type DeadLetterErrorKind = 'malformed' | 'non_retryable' | 'retries_exhausted';

export interface RecordDeadLetterInput {
  producer: Producer;
  db: Db;
  message: DeadLetterMessage;
  /** The table whose topic this is (topics may be prefixed, so it is not derived from the topic name). */
  table: ChangefeedTable;
  /** The sub-processor that gave up, or `decode` when the message itself could not be read. */
  subProcessor: 'decode' | { name: string };
  change?: AnyChange;
  /** For `decode` entries: whatever the envelope revealed before it failed. */
  hints?: { rowKey?: string; updated?: string };
  error: unknown;
  errorKind?: DeadLetterErrorKind;
  attempts: number;
  firstFailedAt: Date;
}

export const DLQ_HEADERS = {
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  originalKey: 'dlq-original-key',
  subProcessor: 'dlq-sub-processor',
  error: 'dlq-error',
  errorKind: 'dlq-error-kind',
  attempts: 'dlq-attempts',
  firstFailure: 'dlq-first-failure',
} as const;

const MAX_HEADER_ERROR_CHARS = 1000;

const asText = (data: Buffer | string | null | undefined): string | null =>
  data === null || data === undefined ? null : typeof data === 'string' ? data : data.toString('utf8');

/**
 * Produces the message to `<topic>.dlq` (original key and value, `dlq-*` headers plus the original headers)
 * and records it in `dead_letters`. Produce first, then the row: if either fails this throws and the caller
 * must retry the source message, so nothing is lost (a retry can at worst repeat the DLQ message). The row is
 * idempotent on (topic, partition, offset, sub-processor): a redelivered message that fails again refreshes
 * the pending row's error instead of adding another, and leaves a resolved row alone.
 */
export async function recordDeadLetter(input: RecordDeadLetterInput): Promise<{ id: string; created: boolean }> {
  const { producer, db, message, table, change, error, attempts, firstFailedAt } = input;
  const subProcessor = input.subProcessor === 'decode' ? 'decode' : input.subProcessor.name;
  const errorKind = input.errorKind ?? (subProcessor === 'decode' ? 'malformed' : 'retries_exhausted');
  const errorMessage = describeError(error);
  const keyText = asText(message.key);
  const valueText = asText(message.value);

  const dlqHeaders: Record<string, string> = {
    [DLQ_HEADERS.originalTopic]: message.topic,
    [DLQ_HEADERS.originalPartition]: String(message.partition),
    [DLQ_HEADERS.originalOffset]: message.offset,
    ...(keyText === null ? {} : { [DLQ_HEADERS.originalKey]: keyText }),
    [DLQ_HEADERS.subProcessor]: subProcessor,
    [DLQ_HEADERS.error]: errorMessage.slice(0, MAX_HEADER_ERROR_CHARS),
    [DLQ_HEADERS.errorKind]: errorKind,
    [DLQ_HEADERS.attempts]: String(attempts),
    [DLQ_HEADERS.firstFailure]: firstFailedAt.toISOString(),
  };
  const originalHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    const text = asText(first);
    if (text !== null && !name.startsWith('dlq-')) originalHeaders[name] = text;
  }
  const headers = { ...originalHeaders, ...dlqHeaders };

  await producer.send({
    topic: dlqTopicFor(message.topic),
    acks: -1,
    messages: [{ key: message.key, value: message.value, headers }],
  });

  const rowKey = change?.rowKey ?? input.hints?.rowKey ?? null;
  const updated = change?.updatedText ?? input.hints?.updated ?? null;
  const stack = error instanceof Error ? (error.stack ?? null) : null;
  const now = new Date();
  const rows = await db.$queryRaw<{ id: bigint; inserted: boolean }[]>`
    INSERT INTO dead_letters (topic, partition, "offset", message_key, payload, headers, sub_processor, table_name, row_key, updated,
                              error_message, error_stack, attempts, first_failed_at, last_failed_at, stage)
    VALUES (${message.topic}, ${message.partition}, ${BigInt(message.offset)}, ${keyText}, ${valueText ?? ''}, ${JSON.stringify(headers)}::jsonb,
            ${subProcessor}, ${table}, ${rowKey}, ${updated}, ${errorMessage}, ${stack}, ${attempts}, ${firstFailedAt}, ${now},
            ${subProcessor === 'decode' ? 'decode' : 'processor'}::"DeadLetterStage")
    ON CONFLICT (topic, partition, "offset", sub_processor, stage) DO UPDATE
      SET headers = EXCLUDED.headers, error_message = EXCLUDED.error_message, error_stack = EXCLUDED.error_stack,
          attempts = EXCLUDED.attempts, last_failed_at = EXCLUDED.last_failed_at
      WHERE dead_letters.status = 'pending'
    RETURNING id, (xmax = 0) AS inserted`;
  const [row] = rows;
  if (row) return { id: row.id.toString(), created: row.inserted };
  // Conflict with an entry that was already resolved: it stays as it is.
  const existing = await db.deadLetter.findUniqueOrThrow({
    where: { topic_partition_offset_subProcessor_stage: { topic: message.topic, partition: message.partition, offset: BigInt(message.offset), subProcessor, stage: subProcessor === 'decode' ? 'decode' : 'processor' } },
    select: { id: true },
  });
  return { id: existing.id.toString(), created: false };
}

// ─── Reading ───────────────────────────────────────────────────────────────────────────────────────────

/** A dead letter as the console shows it: ids and offsets as strings (JSON has no bigint). */
export interface DeadLetterView {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  messageKey: string | null;
  payload: string;
  headers: Record<string, string>;
  subProcessor: string;
  tableName: string | null;
  rowKey: string | null;
  updated: string | null;
  errorMessage: string;
  errorStack: string | null;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  status: DeadLetterStatus;
  resolution: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  replayAttempts: number;
  createdAt: Date;
}

export function toDeadLetterView(row: DeadLetter): DeadLetterView {
  const headers: Record<string, string> = {};
  if (row.headers && typeof row.headers === 'object' && !Array.isArray(row.headers)) {
    for (const [name, value] of Object.entries(row.headers)) if (typeof value === 'string') headers[name] = value;
  }
  return { ...row, id: row.id.toString(), offset: row.offset.toString(), headers };
}

export interface DeadLetterFilter {
  topic?: string;
  subProcessor?: string;
  status?: DeadLetterStatus | DeadLetterStatus[];
  /** Case-insensitive substring of the error message. */
  errorText?: string;
  /** On `createdAt` (when the entry was first recorded): from inclusive, to exclusive. */
  from?: Date;
  to?: Date;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Page size, 1–200; 50 if unset. */
  limit?: number;
}

export interface DeadLetterPage {
  items: DeadLetterView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

function parseId(id: string | bigint): bigint | null {
  if (typeof id === 'bigint') return id;
  return /^\d{1,19}$/.test(id) ? BigInt(id) : null;
}

function whereFor(filter: Omit<DeadLetterFilter, 'cursor' | 'limit'>): Prisma.DeadLetterWhereInput {
  const where: Prisma.DeadLetterWhereInput = {};
  if (filter.topic) where.topic = filter.topic;
  if (filter.subProcessor) where.subProcessor = filter.subProcessor;
  if (filter.status !== undefined) where.status = Array.isArray(filter.status) ? { in: filter.status } : filter.status;
  if (filter.errorText) where.errorMessage = { contains: filter.errorText, mode: 'insensitive' };
  if (filter.from || filter.to) where.createdAt = { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) };
  return where;
}

/** Newest first, by id (which follows insertion order); cursor pagination on the id. */
export async function listDeadLetters(db: Db, filter: DeadLetterFilter = {}): Promise<DeadLetterPage> {
  const limit = filter.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new InvalidDeadLetterQueryError(`limit must be an integer from 1 to ${MAX_PAGE}`);
  const where = whereFor(filter);
  if (filter.cursor !== undefined) {
    const cursor = parseId(filter.cursor);
    if (cursor === null) throw new InvalidDeadLetterQueryError(`cursor "${filter.cursor}" is not one this API returned`);
    where.id = { lt: cursor };
  }
  const rows = await db.deadLetter.findMany({ where, orderBy: { id: 'desc' }, take: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toDeadLetterView), nextCursor: rows.length > limit && last ? last.id.toString() : null };
}

export async function countDeadLetters(db: Db, filter: Omit<DeadLetterFilter, 'cursor' | 'limit'> = {}): Promise<number> {
  return db.deadLetter.count({ where: whereFor(filter) });
}

export async function getDeadLetter(db: Db, id: string | bigint): Promise<DeadLetterView | null> {
  const parsed = parseId(id);
  if (parsed === null) return null;
  const row = await db.deadLetter.findUnique({ where: { id: parsed } });
  return row ? toDeadLetterView(row) : null;
}

// ─── Resolving ─────────────────────────────────────────────────────────────────────────────────────────

export interface DeadLetterDeps {
  db: PrismaClient;
  /** Not needed by replay or discard today; accepted so the console can pass one set of deps. */
  producer?: Producer;
  temporal: Client;
  registry: SubProcessorRegistry;
  log: Logger;
  /** Retry policy for the re-run. The operator is waiting, so fewer attempts than the stream's by default. */
  retry?: Omit<RunOptions, 'appliedAs'>;
}

export interface ReplayOutcome {
  subProcessor: string;
  outcome: RunOutcome;
  attempts: number;
  workflowId?: string;
  error?: string;
}

export interface ReplayResult {
  id: string;
  /** `pending`: the replay failed and the entry stays open (see `error`). */
  status: Extract<DeadLetterStatus, 'replayed' | 'superseded' | 'pending'>;
  /** One per sub-processor re-run: the failed one, or every sub-processor of the table for a `decode` entry. */
  outcomes: ReplayOutcome[];
  resolution?: string;
  error?: string;
}

const DEFAULT_REPLAY_RETRY = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 } as const;
const replaysInFlight = new Set<string>();

async function loadPending(db: Db, id: string | bigint): Promise<DeadLetter> {
  const parsed = parseId(id);
  const row = parsed === null ? null : await db.deadLetter.findUnique({ where: { id: parsed } });
  if (!row) throw new DeadLetterNotFoundError(String(id));
  if (row.status !== 'pending') throw new DeadLetterNotPendingError(row.id.toString(), row.status);
  return row;
}

/**
 * Re-runs a pending dead letter through only the sub-processor that failed (every sub-processor of the table
 * for a `decode` entry, since none ran). Duplicate/stale filtering applies as in the stream:
 * - a newer version of the key was processed since → `superseded`, not applied;
 * - it succeeds → `replayed`;
 * - it fails (or still cannot be decoded) → stays `pending`, with `replay_attempts` + 1 and the new error.
 * Every call writes one `dead_letter.replay` audit row.
 */
export async function replayDeadLetter(deps: DeadLetterDeps, id: string | bigint, actor: Actor): Promise<ReplayResult> {
  const entry = await loadPending(deps.db, id);
  const key = entry.id.toString();
  if (replaysInFlight.has(key)) throw new DeadLetterReplayInProgressError(key);
  replaysInFlight.add(key);
  try {
    const result = await rerun(deps, entry);
    await settleReplay(deps.db, entry, actor, result);
    deps.log.info({ deadLetter: key, actor: actor.id, status: result.status, outcomes: result.outcomes }, 'dead letter replayed');
    return result;
  } finally {
    replaysInFlight.delete(key);
  }
}

async function rerun(deps: DeadLetterDeps, entry: DeadLetter): Promise<ReplayResult> {
  const id = entry.id.toString();
  const pending = (error: string, outcomes: ReplayOutcome[] = []): ReplayResult => ({ id, status: 'pending', outcomes, error });
  const table = entry.tableName;
  if (!table || !isChangefeedTable(table)) return pending(`cannot replay: "${table ?? '(none)'}" is not a changefeed table`);

  const decoded = decodeMessage(table, {
    key: entry.messageKey,
    value: entry.payload,
    topic: entry.topic,
    partition: entry.partition,
    offset: entry.offset.toString(),
  });
  if (decoded.kind === 'malformed') return pending(`still cannot be decoded: ${decoded.error.message}`);
  if (decoded.kind === 'resolved') return { id, status: 'replayed', outcomes: [], resolution: 'a resolved checkpoint: nothing to apply' };
  const change = decoded.change;

  let subProcessors: readonly AnySubProcessor[];
  if (entry.subProcessor === 'decode') {
    subProcessors = subProcessorsFor(deps.registry, table);
  } else {
    const sp = subProcessorsFor(deps.registry, table).find((candidate) => candidate.name === entry.subProcessor);
    if (!sp) return pending(`sub-processor "${entry.subProcessor}" is not registered for ${table}; discard the entry or restore it`);
    subProcessors = [sp];
  }

  const ctx = { db: deps.db, temporal: deps.temporal, log: deps.log.child({ component: 'dead-letter-replay', deadLetter: id }) };
  const options: RunOptions = { ...DEFAULT_REPLAY_RETRY, ...deps.retry, appliedAs: 'replayed' };
  const runs: { sp: AnySubProcessor; run: RunResult }[] = [];
  for (const sp of subProcessors) runs.push({ sp, run: await runSubProcessor(sp, change, ctx, options) });
  const outcomes = runs.map(({ sp, run }): ReplayOutcome => ({
    subProcessor: sp.name,
    outcome: run.outcome,
    attempts: run.attempts,
    ...(run.workflowId ? { workflowId: run.workflowId } : {}),
    ...(run.outcome === 'dead_lettered' ? { error: describeError(run.error) } : {}),
  }));

  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  if (failed.length > 0) return pending(failed.map((f) => `${f.subProcessor} failed after ${f.attempts} attempt(s): ${f.error}`).join('; '), outcomes);

  const explanations = await Promise.all(
    runs.map(async ({ sp, run }) => {
      if (run.outcome === 'stale' || run.outcome === 'duplicate') {
        const watermark = await readWatermark(deps.db, sp, table, change.rowKey);
        const seen = watermark ? formatHlc(watermark) : 'unknown';
        return run.outcome === 'stale'
          ? `${sp.name}: superseded, a newer version (updated ${seen}) of key ${change.rowKey} was processed after ${change.updatedText}`
          : `${sp.name}: this version (updated ${change.updatedText}) was already processed; not applied again`;
      }
      return `${sp.name}: ${run.outcome}${run.workflowId ? ` (workflow ${run.workflowId})` : ''}`;
    }),
  );
  const status = runs.length > 0 && runs.every(({ run }) => run.outcome === 'stale') ? 'superseded' : 'replayed';
  return { id, status, outcomes, resolution: explanations.join('; ') || `no sub-processors are registered for ${table}` };
}

async function settleReplay(db: PrismaClient, entry: DeadLetter, actor: Actor, result: ReplayResult): Promise<void> {
  const now = new Date();
  const resolved = result.status !== 'pending';
  const data: Prisma.DeadLetterUpdateManyMutationInput = resolved
    ? { status: result.status, resolution: result.resolution ?? null, resolvedAt: now, resolvedBy: actor.id, replayAttempts: { increment: 1 } }
    : { errorMessage: result.error ?? 'replay failed', errorStack: null, lastFailedAt: now, replayAttempts: { increment: 1 } };
  await db.$transaction([
    db.deadLetter.updateMany({ where: { id: entry.id, status: 'pending' }, data }),
    db.auditLog.create({
      data: {
        actor: actor.id,
        actorRole: actor.role,
        action: 'dead_letter.replay',
        target: `dead_letter:${entry.id}`,
        reason: resolved ? (result.resolution ?? result.status) : `replay failed: ${result.error ?? ''}`,
        details: {
          result: result.status,
          outcomes: result.outcomes as unknown as Prisma.InputJsonValue,
          topic: entry.topic,
          partition: entry.partition,
          offset: entry.offset.toString(),
          subProcessor: entry.subProcessor,
        },
      },
    }),
  ]);
}

/** Marks a pending entry `discarded`, with the reason, and audits it. */
export async function discardDeadLetter(deps: Pick<DeadLetterDeps, 'db'> & Partial<DeadLetterDeps>, id: string | bigint, actor: Actor, reason: string): Promise<DeadLetterView> {
  const why = reason.trim();
  if (!why) throw new DiscardReasonRequiredError();
  const entry = await loadPending(deps.db, id);
  await deps.db.$transaction(async (tx) => {
    const updated = await tx.deadLetter.updateMany({
      where: { id: entry.id, status: 'pending' },
      data: { status: 'discarded', resolution: why, resolvedAt: new Date(), resolvedBy: actor.id },
    });
    if (updated.count === 0) {
      // Resolved by someone else between the read and the write.
      const current = await tx.deadLetter.findUniqueOrThrow({ where: { id: entry.id }, select: { status: true } });
      throw new DeadLetterNotPendingError(entry.id.toString(), current.status);
    }
    await tx.auditLog.create({
      data: {
        actor: actor.id,
        actorRole: actor.role,
        action: 'dead_letter.discard',
        target: `dead_letter:${entry.id}`,
        reason: why,
        details: { topic: entry.topic, partition: entry.partition, offset: entry.offset.toString(), subProcessor: entry.subProcessor },
      },
    });
  });
  deps.log?.info({ deadLetter: entry.id.toString(), actor: actor.id, reason: why }, 'dead letter discarded');
  return toDeadLetterView(await deps.db.deadLetter.findUniqueOrThrow({ where: { id: entry.id } }));
}

// ─── Bulk replay ───────────────────────────────────────────────────────────────────────────────────────

export type BulkReplayItemResult =
  | ReplayResult
  /** `skipped`: no longer pending (or gone) by the time its turn came. `failed`: the replay itself threw. */
  | { id: string; status: 'skipped' | 'failed'; outcomes: []; error: string };

export interface BulkReplayProgress {
  done: number;
  total: number;
  last: { id: string; result: BulkReplayItemResult };
}

export interface BulkReplayResult {
  total: number;
  results: BulkReplayItemResult[];
  counts: Record<BulkReplayItemResult['status'], number>;
  /** True when `signal` stopped it before the end. */
  aborted: boolean;
}

/** The most entries one filter-based bulk replay takes on (oldest first); run it again for the rest. */
export const BULK_REPLAY_MAX = 1000;

/**
 * Replays pending entries one at a time, oldest first: those matching `filter` (status is forced to
 * `pending`; `limit` caps the count, default BULK_REPLAY_MAX), or exactly `ids`. Tells `onStart` which ids
 * it will take, reports progress after each and returns every entry's result. One entry's failure never stops the rest.
 */
export async function replayDeadLetters(
  deps: DeadLetterDeps,
  selection: DeadLetterFilter | { ids: (string | bigint)[] },
  actor: Actor,
  onProgress?: (progress: BulkReplayProgress) => void | Promise<void>,
  { signal, onStart }: { signal?: AbortSignal; onStart?: (ids: string[]) => void | Promise<void> } = {},
): Promise<BulkReplayResult> {
  let ids: string[];
  if ('ids' in selection) {
    const parsed = selection.ids.map((id) => {
      const value = parseId(id);
      if (value === null) throw new InvalidDeadLetterQueryError(`"${String(id)}" is not a dead letter id`);
      return value;
    });
    ids = [...new Set(parsed)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
  } else {
    const limit = selection.limit ?? BULK_REPLAY_MAX;
    if (!Number.isInteger(limit) || limit < 1 || limit > BULK_REPLAY_MAX) throw new InvalidDeadLetterQueryError(`limit must be an integer from 1 to ${BULK_REPLAY_MAX}`);
    const rows = await deps.db.deadLetter.findMany({
      where: whereFor({ ...selection, status: 'pending' }),
      orderBy: { id: 'asc' },
      take: limit,
      select: { id: true },
    });
    ids = rows.map((row) => row.id.toString());
  }

  try {
    await onStart?.(ids);
  } catch (err) {
    deps.log.warn({ err }, 'bulk replay: start callback failed');
  }

  const results: BulkReplayItemResult[] = [];
  let aborted = false;
  for (const id of ids) {
    if (signal?.aborted) {
      aborted = true;
      break;
    }
    let result: BulkReplayItemResult;
    try {
      result = await replayDeadLetter(deps, id, actor);
    } catch (err) {
      const skipped = err instanceof DeadLetterConflictError || err instanceof DeadLetterNotFoundError;
      if (!skipped) deps.log.error({ err, deadLetter: id }, 'bulk replay: entry failed');
      result = { id, status: skipped ? 'skipped' : 'failed', outcomes: [], error: describeError(err) };
    }
    results.push(result);
    try {
      await onProgress?.({ done: results.length, total: ids.length, last: { id, result } });
    } catch (err) {
      // A broken progress channel (a closed browser tab) must not strand the bulk run half-done.
      deps.log.warn({ err }, 'bulk replay: progress callback failed');
    }
  }

  const counts: BulkReplayResult['counts'] = { replayed: 0, superseded: 0, pending: 0, skipped: 0, failed: 0 };
  for (const result of results) counts[result.status]++;
  await deps.db.auditLog.create({
    data: {
      actor: actor.id,
      actorRole: actor.role,
      action: 'dead_letter.bulk_replay',
      target: 'dead_letters',
      reason: `bulk replay of ${ids.length} entr${ids.length === 1 ? 'y' : 'ies'}${aborted ? ' (stopped early)' : ''}`,
      details: { selection: JSON.parse(JSON.stringify(selection, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Prisma.InputJsonValue, counts, aborted },
    },
  });
  return { total: ids.length, results, counts, aborted };
}
