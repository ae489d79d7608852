import { isUtf8 } from 'node:buffer';
import type { Client } from '@temporalio/client';
import type { IHeaders, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { DeadLetter, DeadLetterStage, DeadLetterStatus, Prisma, PrismaClient } from '../db/generated/client.ts';
import { decodeMessage } from './decode.ts';
import { z } from 'zod';
import type { StreamMessage } from '../temporal/contract.ts';
import { messageSource, newerApplied } from './effect-ledger.ts';
import { formatHlc, parseHlc } from './envelope.ts';
import { signalStream } from './stream-signal.ts';
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
import { readWatermark, settleOutcomes, type Db } from './watermarks.ts';
import type { Actor } from '../auth/actor.ts';
import { countDeadLetter } from '../metrics/registry.ts';
import { env } from '../env.ts';
import { temporalWorkflowUrl } from '../temporal/ui-links.ts';

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
  /**
   * The consumed message. For stage `workflow` the caller passes the StreamMessage JSON as `value`, with the
   * source topic, partition and offset of the change it carries.
   */
  message: DeadLetterMessage;
  /** The table whose topic this is (topics may be prefixed, so it is not derived from the topic name). */
  table: ChangefeedTable;
  /** The sub-processor that gave up, or `decode` when the message itself could not be read. */
  subProcessor: 'decode' | { name: string };
  /** Where it failed; `decode` for subProcessor `decode`, else `processor`, unless given. */
  stage?: DeadLetterStage;
  /** Stage `workflow`: the stream workflow run whose batch activity gave up. */
  workflowId?: string;
  runId?: string;
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
  stage: 'dlq-stage',
  workflowId: 'dlq-workflow-id',
  runId: 'dlq-run-id',
  error: 'dlq-error',
  errorKind: 'dlq-error-kind',
  attempts: 'dlq-attempts',
  firstFailure: 'dlq-first-failure',
  /** The `dead_letters` row this copy belongs to. */
  deadLetterId: 'dlq-dead-letter-id',
  /** Set (to the original size in bytes) when the value was too large for the DLQ topic; the row keeps it. */
  valueOmitted: 'dlq-value-omitted',
  keyOmitted: 'dlq-key-omitted',
} as const;

const MAX_HEADER_ERROR_CHARS = 1000;
const MAX_ERROR_CHARS = 8_000;
const MAX_STACK_CHARS = 32_000;
const MAX_HEADER_CHARS = 8_000;
/** How much of an unstorable value is also kept as escaped text, for reading in the console. */
const MAX_PREVIEW_CHARS = 64 * 1024;
/**
 * Under Kafka's default max.message.bytes (1048588) with room for the batch framing: a larger DLQ copy would be
 * refused by the broker on every retry, so it goes without its value (or key) instead.
 */
const DLQ_MAX_MESSAGE_BYTES = 1_000_000;

const NUL = /\u0000/g;
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text Postgres accepts in text and jsonb: NUL written as the six characters `\u0000`, lone surrogates as U+FFFD, cut at `max`. */
function storableText(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters not kept]` : text;
  return cut.replace(NUL, '\\u0000').replace(LONE_SURROGATES, '\uFFFD');
}

/** A key or value as columns can hold it: as text when it is clean UTF-8, else the raw bytes plus a readable stand-in. */
function storableData(what: 'key' | 'payload', data: Buffer | string | null): { text: string | null; bytes: Buffer | null } {
  if (data === null) return { text: null, bytes: null };
  // A JS string's lone surrogates become U+FFFD here, so only NUL can make it unstorable.
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const column = what === 'key' ? 'message_key_bytes' : 'payload_bytes';
  if (!isUtf8(bytes)) return { text: `[binary ${what}: ${bytes.length} bytes that are not valid UTF-8; the raw bytes are kept in ${column}]`, bytes };
  const text = bytes.toString('utf8');
  if (!text.includes('\u0000')) return { text, bytes: null };
  return { text: `[${what} holds NUL characters, shown here as \\u0000; the raw ${bytes.length} bytes are kept in ${column}]\n${storableText(text, MAX_PREVIEW_CHARS)}`, bytes };
}

function headerText(value: Buffer | string): string {
  if (typeof value === 'string') return storableText(value, MAX_HEADER_CHARS);
  return isUtf8(value) ? storableText(value.toString('utf8'), MAX_HEADER_CHARS) : `[binary, ${value.length} bytes, base64] ${value.toString('base64').slice(0, MAX_HEADER_CHARS)}`;
}

/** describeError, which must not be the thing that fails (a BigInt or a cycle in a thrown object). */
function errorText(error: unknown): string {
  try {
    return describeError(error);
  } catch {
    return error instanceof Error ? `${error.name}: ${error.message}` : Object.prototype.toString.call(error);
  }
}

function isMessageTooLarge(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    if (typeof cause !== 'object') return false;
    if ('type' in cause && cause.type === 'MESSAGE_TOO_LARGE') return true;
    cause = 'cause' in cause ? cause.cause : 'originalError' in cause ? cause.originalError : undefined;
  }
  return false;
}

/**
 * Records the message in `dead_letters`, then copies it to `<topic>.dlq`. The row comes first and holds only what
 * Postgres can store (raw bytes in `message_key_bytes` / `payload_bytes` when the key or value is not clean UTF-8,
 * NUL escaped in text and headers, long errors cut), so poison cannot make the insert fail. The copy is produced
 * only while the row's `dlq_produced_at` is null, and marked after Kafka acked, so a retry of a failed call never
 * produces a second one. If this throws the caller must retry the source message; nothing is lost.
 *
 * The row is idempotent on (topic, partition, offset, sub-processor, stage). A redelivered message that fails
 * again refreshes a pending row's error and leaves a resolved one alone; at stage `workflow` it reopens even a
 * resolved row as pending, so a replayed message that failed again is visible again.
 */
export async function recordDeadLetter(input: RecordDeadLetterInput): Promise<{ id: string; created: boolean }> {
  const { producer, db, message, table, change, attempts, firstFailedAt } = input;
  const subProcessor = input.subProcessor === 'decode' ? 'decode' : input.subProcessor.name;
  const stage: DeadLetterStage = input.stage ?? (subProcessor === 'decode' ? 'decode' : 'processor');
  const errorKind = input.errorKind ?? (subProcessor === 'decode' ? 'malformed' : 'retries_exhausted');
  const errorMessage = storableText(errorText(input.error), MAX_ERROR_CHARS);
  const stack = input.error instanceof Error && typeof input.error.stack === 'string' ? storableText(input.error.stack, MAX_STACK_CHARS) : null;
  const key = storableData('key', message.key);
  const value = storableData('payload', message.value);
  const workflowId = input.workflowId === undefined ? null : storableText(input.workflowId, 1000);
  const runId = input.runId === undefined ? null : storableText(input.runId, 1000);

  const dlqHeaders: Record<string, string> = {
    [DLQ_HEADERS.originalTopic]: message.topic,
    [DLQ_HEADERS.originalPartition]: String(message.partition),
    [DLQ_HEADERS.originalOffset]: message.offset,
    [DLQ_HEADERS.subProcessor]: subProcessor,
    [DLQ_HEADERS.stage]: stage,
    ...(workflowId === null ? {} : { [DLQ_HEADERS.workflowId]: workflowId }),
    ...(runId === null ? {} : { [DLQ_HEADERS.runId]: runId }),
    [DLQ_HEADERS.error]: storableText(errorMessage, MAX_HEADER_ERROR_CHARS),
    [DLQ_HEADERS.errorKind]: errorKind,
    [DLQ_HEADERS.attempts]: String(attempts),
    [DLQ_HEADERS.firstFailure]: firstFailedAt.toISOString(),
  };
  const originalHeaders: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(headerValue) ? headerValue[0] : headerValue;
    if (first !== undefined && !name.startsWith('dlq-')) originalHeaders[storableText(name, 256)] = headerText(first);
  }
  const rowHeaders = { ...originalHeaders, ...(key.text === null ? {} : { [DLQ_HEADERS.originalKey]: storableText(key.text, MAX_HEADER_CHARS) }), ...dlqHeaders };

  const rowKey = change?.rowKey ?? input.hints?.rowKey;
  const updated = change?.updatedText ?? input.hints?.updated;
  const rows = await db.$queryRaw<{ id: bigint; inserted: boolean; dlq_produced_at: Date | null }[]>`
    INSERT INTO dead_letters (topic, partition, "offset", message_key, message_key_bytes, payload, payload_bytes, headers, sub_processor,
                              table_name, row_key, updated, error_message, error_stack, attempts, first_failed_at, last_failed_at,
                              stage, workflow_id, run_id)
    VALUES (${message.topic}, ${message.partition}, ${BigInt(message.offset)}, ${key.text}, ${key.bytes}, ${value.text ?? ''}, ${value.bytes},
            ${JSON.stringify(rowHeaders)}::jsonb, ${subProcessor}, ${table}, ${rowKey === undefined ? null : storableText(rowKey, 4096)},
            ${updated === undefined ? null : storableText(updated, 64)}, ${errorMessage}, ${stack}, ${attempts}, ${firstFailedAt}, ${new Date()},
            ${stage}::"DeadLetterStage", ${workflowId}, ${runId})
    ON CONFLICT (topic, partition, "offset", sub_processor, stage) DO UPDATE
      SET headers = EXCLUDED.headers, error_message = EXCLUDED.error_message, error_stack = EXCLUDED.error_stack,
          attempts = EXCLUDED.attempts, last_failed_at = EXCLUDED.last_failed_at,
          workflow_id = COALESCE(EXCLUDED.workflow_id, dead_letters.workflow_id), run_id = COALESCE(EXCLUDED.run_id, dead_letters.run_id),
          status = 'pending', resolution = NULL, resolved_at = NULL, resolved_by = NULL
      WHERE dead_letters.status = 'pending' OR dead_letters.stage = 'workflow'
    RETURNING id, (xmax = 0) AS inserted, dlq_produced_at`;
  // No row back: it conflicted with a resolved processor/decode entry, which stays as it is.
  const row =
    rows[0] ??
    (
      await db.$queryRaw<{ id: bigint; inserted: boolean; dlq_produced_at: Date | null }[]>`
        SELECT id, false AS inserted, dlq_produced_at FROM dead_letters
        WHERE topic = ${message.topic} AND partition = ${message.partition} AND "offset" = ${BigInt(message.offset)}
          AND sub_processor = ${subProcessor} AND stage = ${stage}::"DeadLetterStage"`
    )[0];
  if (!row) throw new Error(`dead letter ${message.topic}[${message.partition}]@${message.offset} (${subProcessor}, ${stage}) vanished while being recorded`);
  const id = row.id.toString();
  if (row.inserted) countDeadLetter(table, stage);

  if (row.dlq_produced_at === null) {
    await produceDlqCopy(producer, message, { ...dlqHeaders, [DLQ_HEADERS.deadLetterId]: id });
    // The one window left for a second copy: Kafka acked but this update failed (or another process recorded the
    // same message between our read of dlq_produced_at and here); the next call then produces again.
    await db.$executeRaw`UPDATE dead_letters SET dlq_produced_at = now() WHERE id = ${row.id} AND dlq_produced_at IS NULL`;
  }
  return { id, created: row.inserted };
}

/** Original key, value and headers, plus `dlq-*` headers; without the value (and key) when they would not fit. */
async function produceDlqCopy(producer: Producer, message: DeadLetterMessage, dlqHeaders: Record<string, string>): Promise<void> {
  const headers: IHeaders = {};
  for (const [name, headerValue] of Object.entries(message.headers ?? {})) if (headerValue !== undefined && !name.startsWith('dlq-')) headers[name] = headerValue;
  if (message.key !== null) headers[DLQ_HEADERS.originalKey] = message.key;
  Object.assign(headers, dlqHeaders);

  const size = (data: Buffer | string | null) => (data === null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.length);
  const headerBytes = Object.entries(headers).reduce((sum, [name, headerValue]) => {
    const values = Array.isArray(headerValue) ? headerValue : [headerValue];
    return sum + values.reduce((inner, one) => inner + Buffer.byteLength(name) + (one === undefined ? 0 : size(one)), 0);
  }, 0);
  const send = (key: Buffer | string | null, value: Buffer | string | null, extra: Record<string, string>) =>
    producer.send({ topic: dlqTopicFor(message.topic), acks: -1, messages: [{ key, value, headers: { ...headers, ...extra } }] });
  const withoutValue = () => {
    const omitted = { [DLQ_HEADERS.valueOmitted]: String(size(message.value)) };
    const keyFits = headerBytes + size(message.key) <= DLQ_MAX_MESSAGE_BYTES;
    return send(keyFits ? message.key : null, '', keyFits ? omitted : { ...omitted, [DLQ_HEADERS.keyOmitted]: String(size(message.key)) });
  };

  if (headerBytes + size(message.key) + size(message.value) > DLQ_MAX_MESSAGE_BYTES) {
    await withoutValue();
    return;
  }
  try {
    await send(message.key, message.value, {});
  } catch (err) {
    // A DLQ topic configured with a smaller max.message.bytes than Kafka's default.
    if (!isMessageTooLarge(err) || size(message.value) === 0) throw err;
    await withoutValue();
  }
}

// ─── Reading ───────────────────────────────────────────────────────────────────────────────────────────

/** A dead letter as the console shows it: ids and offsets as strings (JSON has no bigint). */
export interface DeadLetterView {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  /** When the key was not storable as text, a stand-in that says so (the bytes are in `messageKeyBase64`). */
  messageKey: string | null;
  /** When the value was not storable as text, a stand-in that says so (the bytes are in `payloadBase64`). */
  payload: string;
  headers: Record<string, string>;
  subProcessor: string;
  stage: DeadLetterStage;
  tableName: string | null;
  rowKey: string | null;
  updated: string | null;
  workflowId: string | null;
  runId: string | null;
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
  /** When the copy on `<topic>.dlq` was acknowledged; null if it is still to be produced. */
  dlqProducedAt: Date | null;
  /** The raw key bytes, base64, when they were kept as bytes (binary or NUL). */
  messageKeyBase64: string | null;
  /** The raw value bytes, base64 (the first RAW_VIEW_MAX_BYTES of them), when they were kept as bytes. */
  payloadBase64: string | null;
  /** The size of the raw value bytes kept, when they were. */
  payloadByteLength: number | null;
}

/** How many raw bytes a view carries as base64: enough to read, without megabytes per list row. */
export const RAW_VIEW_MAX_BYTES = 64 * 1024;

const base64Of = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes.subarray(0, RAW_VIEW_MAX_BYTES)).toString('base64'));

export function toDeadLetterView(row: DeadLetter): DeadLetterView {
  const headers: Record<string, string> = {};
  if (row.headers && typeof row.headers === 'object' && !Array.isArray(row.headers)) {
    for (const [name, value] of Object.entries(row.headers)) if (typeof value === 'string') headers[name] = value;
  }
  const { messageKeyBytes, payloadBytes, ...rest } = row;
  return {
    ...rest,
    id: row.id.toString(),
    offset: row.offset.toString(),
    headers,
    messageKeyBase64: base64Of(messageKeyBytes),
    payloadBase64: base64Of(payloadBytes),
    payloadByteLength: payloadBytes === null ? null : payloadBytes.length,
  };
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

/** The Prisma condition for a filter (also what a bulk operation's selection pages through). */
export function whereFor(filter: Omit<DeadLetterFilter, 'cursor' | 'limit'>): Prisma.DeadLetterWhereInput {
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
  /** Where stream workflows run; tests run their own worker. */
  streamTaskQueue?: string;
}

export interface ReplayOutcome {
  subProcessor: string;
  outcome: RunOutcome;
  attempts: number;
  workflowId?: string;
  /** The stream workflow run the replay's signal reached. */
  runId?: string;
  /** That run in the Temporal UI. */
  workflowUrl?: string;
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
/** Each outcome that names a stream workflow links it in the Temporal UI (the run the replay reached, when known). */
function withWorkflowUrls(result: ReplayResult): ReplayResult {
  const ui = { uiUrl: env().TEMPORAL_UI_URL, namespace: env().TEMPORAL_NAMESPACE };
  return { ...result, outcomes: result.outcomes.map((o) => (o.workflowId ? { ...o, workflowUrl: temporalWorkflowUrl(ui, o.workflowId, o.runId) } : o)) };
}

export async function replayDeadLetter(deps: DeadLetterDeps, id: string | bigint, actor: Actor): Promise<ReplayResult> {
  const entry = await loadPending(deps.db, id);
  const key = entry.id.toString();
  if (replaysInFlight.has(key)) throw new DeadLetterReplayInProgressError(key);
  replaysInFlight.add(key);
  try {
    const result = withWorkflowUrls(await rerun(deps, entry));
    await settleReplay(deps.db, entry, actor, result);
    deps.log.info({ deadLetter: key, actor: actor.id, status: result.status, outcomes: result.outcomes }, 'dead letter replayed');
    return result;
  } finally {
    replaysInFlight.delete(key);
  }
}

const workflowEntrySchema = z.object({
  activity: z.string().min(1),
  message: z.object({ id: z.string().min(1), payload: z.unknown(), committedAtMs: z.number().optional(), source: z.unknown().optional() }).passthrough(),
});

/**
 * Replays a workflow-stage entry: its sub-processor had already handed the message to a stream workflow, whose
 * batch activity gave up, so the message goes back to that shard's workflow as it was. Superseded when the
 * workflow has since applied a newer version of the key; replayed without a signal if this one was applied meanwhile.
 */
async function resignal(deps: DeadLetterDeps, entry: DeadLetter): Promise<ReplayResult> {
  const id = entry.id.toString();
  const pending = (error: string, outcomes: ReplayOutcome[] = []): ReplayResult => ({ id, status: 'pending', outcomes, error });
  const parsed = workflowEntrySchema.safeParse(safeJson(entry.payload));
  if (!parsed.success) return pending('cannot replay: the stored stream message is not readable');
  const { activity } = parsed.data;
  const message = parsed.data.message as StreamMessage;
  const prefix = `stream:${entry.subProcessor}:`;
  const shardKey = entry.workflowId?.startsWith(prefix) ? entry.workflowId.slice(prefix.length) : null;
  if (!shardKey) return pending(`cannot replay: workflow id "${entry.workflowId ?? '(none)'}" is not a stream workflow of ${entry.subProcessor}`);

  const source = messageSource(message);
  const applied = await deps.db.streamApplied.findUnique({ where: { subProcessor_messageId: { subProcessor: entry.subProcessor, messageId: message.id } } });
  if (applied) {
    return { id, status: 'replayed', outcomes: [{ subProcessor: entry.subProcessor, outcome: 'duplicate', attempts: 0, workflowId: applied.workflowId }], resolution: `${entry.subProcessor}: already applied by ${applied.workflowId} at ${applied.appliedAt.toISOString()}` };
  }
  const newer = source ? await newerApplied(deps.db, entry.subProcessor, source) : null;
  if (newer && source) {
    return {
      id,
      status: 'superseded',
      outcomes: [{ subProcessor: entry.subProcessor, outcome: 'stale', attempts: 0 }],
      resolution: `${entry.subProcessor}: superseded, a newer version (updated ${newer}) of key ${source.rowKey} was applied after ${source.updated}`,
    };
  }
  try {
    const { workflowId, runId } = await signalStream(deps.temporal, { subProcessor: entry.subProcessor, shardKey, activity, messages: [message], taskQueue: deps.streamTaskQueue });
    if (source && message.source) {
      await settleOutcomes(deps.db, [
        {
          subProcessor: entry.subProcessor,
          change: { table: message.source.table as ChangefeedTable, rowKey: source.rowKey, updated: parseHlc(source.updated), updatedText: source.updated, source: message.source },
          outcome: 'signalled',
          workflowId,
          runId,
          detail: `replay of dead letter ${id}: signalled ${message.id}`,
          latencyMs: 0,
          advance: false,
        },
      ]);
    }
    return { id, status: 'replayed', outcomes: [{ subProcessor: entry.subProcessor, outcome: 'signalled', attempts: 1, workflowId, runId }], resolution: `${entry.subProcessor}: signalled ${message.id} to ${workflowId} again` };
  } catch (err) {
    return pending(`signalling ${shardKey}'s stream workflow failed: ${describeError(err)}`, [{ subProcessor: entry.subProcessor, outcome: 'dead_lettered', attempts: 1, error: describeError(err) }]);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function rerun(deps: DeadLetterDeps, entry: DeadLetter): Promise<ReplayResult> {
  const id = entry.id.toString();
  const pending = (error: string, outcomes: ReplayOutcome[] = []): ReplayResult => ({ id, status: 'pending', outcomes, error });
  const table = entry.tableName;
  if (!table || !isChangefeedTable(table)) return pending(`cannot replay: "${table ?? '(none)'}" is not a changefeed table`);
  if (entry.stage === 'workflow') return resignal(deps, entry);

  // Bytes kept raw (binary, not UTF-8, NUL) are decoded as they arrived, not from their text placeholder.
  const decoded = decodeMessage(table, {
    key: entry.messageKeyBytes ? Buffer.from(entry.messageKeyBytes) : entry.messageKey,
    value: entry.payloadBytes ? Buffer.from(entry.payloadBytes) : entry.payload,
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
  const options: RunOptions = { ...DEFAULT_REPLAY_RETRY, ...deps.retry, appliedAs: 'replayed', taskQueue: deps.streamTaskQueue };
  const runs: { sp: AnySubProcessor; run: RunResult }[] = [];
  for (const sp of subProcessors) runs.push({ sp, run: await runSubProcessor(sp, change, ctx, options) });
  const outcomes = runs.map(({ sp, run }): ReplayOutcome => ({
    subProcessor: sp.name,
    outcome: run.outcome,
    attempts: run.attempts,
    ...(run.workflowId ? { workflowId: run.workflowId } : {}),
    ...(run.runId ? { runId: run.runId } : {}),
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
