import { isUtf8 } from 'node:buffer';
import type { IHeaders, Producer } from 'kafkajs';
import type { DeadLetterStage } from '../db/generated/client.ts';
import { describeError } from './run-sub-processor.ts';
import type { AnyChange } from './sub-processor.ts';
import { dlqTopicFor, type ChangefeedTable } from './tables.ts';
import type { Db } from './watermarks.ts';
import { countDeadLetter } from '../metrics/registry.ts';

/** Recording a dead letter: the `dead_letters` row, then its copy on `<topic>.dlq`. */

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
