import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import { changeEnvelopeSchema, encodeKey, hlcToMillis, parseHlc, primaryKeySchema, resolvedEnvelopeSchema, type Hlc } from './envelope.ts';
import type { AnyChange } from './sub-processor.ts';
import { changefeedTables, type ChangefeedTable } from './tables.ts';

/** A consumed Kafka message, as much of it as decoding needs. */
export interface RawMessage {
  key: Buffer | string | null;
  value: Buffer | string | null;
  topic: string;
  partition: number;
  offset: string;
}

/** Why a message could not be read. Dead-lettered under the `decode` stage. */
export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
}

export type DecodeResult =
  | { kind: 'change'; change: AnyChange }
  | { kind: 'resolved'; hlc: Hlc; hlcText: string }
  /** `rowKey` / `updated` are filled in when the envelope got far enough to say, so the console can show them. */
  | { kind: 'malformed'; error: MalformedMessageError; rowKey?: string; updated?: string };

export interface DecodeOptions {
  /** The clock `updated` is checked against, in milliseconds since the epoch. */
  now?: () => number;
  /** How far `updated` (or `resolved`) may be ahead of `now()`; further ahead is malformed. */
  maxFutureSkewMs?: number;
}

/** A clock further ahead than this is a broken producer clock, or a forged timestamp that would outrank every later change. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Kafka's default max.message.bytes is about this; a larger changefeed row is not one of ours. */
export const MAX_VALUE_BYTES = 1024 * 1024;
/** The row key is part of the watermark primary key, a btree: keep it far below the index row limit. */
export const MAX_KEY_BYTES = 2048;

const byteLength = (data: Buffer | string): number => (typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length);

/** For quoting message content in an error: bounded, and JSON-escaped so control characters stay visible. */
const quote = (text: string, max = 120): string => JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

/** The text of a value or key, or why it is not text a changefeed (or a text column) could hold. */
function readText(what: 'value' | 'key', data: Buffer | string): { text: string } | { problem: string } {
  if (typeof data !== 'string') {
    if (data.length >= 5 && data[0] === 0) {
      return {
        problem: `${what} is binary: magic byte 0 then schema id ${data.readUInt32BE(1)} is the Confluent schema-registry framing (format=avro); DashOps reads format=json`,
      };
    }
    if (!isUtf8(data)) return { problem: `${what} is binary (${data.length} bytes that are not valid UTF-8); DashOps reads format=json` };
  }
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (text.includes('\u0000')) return { problem: `${what} holds a NUL character (U+0000), which no text column can store` };
  return { text };
}

/** True when a NUL (from a `\u0000` escape) is in any string or object key of `root`. Iterative: depth is the sender's choice. */
function holdsNul(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return true;
    } else if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
    } else if (typeof node === 'object' && node !== null) {
      for (const [name, item] of Object.entries(node)) {
        if (name.includes('\u0000')) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

function describeIssues(error: Pick<z.ZodError, 'issues'>, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/**
 * Reads one changefeed message for `table`: the CockroachDB JSON envelope, as a native `CREATE CHANGEFEED … INTO
 * 'kafka://…'` or the CDC relay writes it. The primary key comes from the Kafka message key, or from the value's
 * `key` (`key_in_value`); both present and different is malformed. `before` (`diff`), `mvcc_timestamp` and
 * `topic` (`topic_in_value`) are optional; `updated` is required.
 *
 * Tolerant of schema evolution: unknown envelope fields and columns are dropped, missing nullable columns are
 * fine. Strict about poison: binary or non-UTF-8 bytes, NUL characters, oversized values or keys, an `updated`
 * out of int8/int4 range or further ahead of `now()` than `maxFutureSkewMs`. Never throws: anything unreadable
 * comes back as `malformed` with a message that says what was wrong, for the dead-letter queue.
 */
export function decodeMessage(table: ChangefeedTable, message: RawMessage, options: DecodeOptions = {}): DecodeResult {
  try {
    return decode(table, message, options);
  } catch (err) {
    // Every known poison is told apart above; this is the net under what is not (e.g. a key nested too deep to re-encode).
    return malformedResult(message, `could not be decoded (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)})`);
  }
}

function malformedResult(message: RawMessage, reason: string, hints: { rowKey?: string; updated?: string } = {}): DecodeResult {
  return { kind: 'malformed', error: new MalformedMessageError(`${message.topic}[${message.partition}]@${message.offset}: ${reason}`), ...hints };
}

function decode(table: ChangefeedTable, message: RawMessage, options: DecodeOptions): DecodeResult {
  const malformed = (reason: string, hints: { rowKey?: string; updated?: string } = {}) => malformedResult(message, reason, hints);
  const now = options.now ?? Date.now;
  const maxFutureSkewMs = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  const tooFarAhead = (field: string, text: string, hlc: Hlc): string | null => {
    const aheadMs = hlcToMillis(hlc) - now();
    return aheadMs > maxFutureSkewMs
      ? `${field} ${text} is ${aheadMs} ms ahead of this worker's clock, more than the allowed skew of ${maxFutureSkewMs} ms (STREAM_MAX_CLOCK_SKEW_MS)`
      : null;
  };

  if (message.value === null) return malformed('message has no value (a tombstone is not a changefeed envelope)');
  const valueBytes = byteLength(message.value);
  if (valueBytes > MAX_VALUE_BYTES) return malformed(`value is ${valueBytes} bytes, over the ${MAX_VALUE_BYTES}-byte limit for one row change`);
  const keyBytes = message.key === null ? 0 : byteLength(message.key);
  if (keyBytes > MAX_KEY_BYTES) return malformed(`message key is ${keyBytes} bytes, over the ${MAX_KEY_BYTES}-byte limit for a primary key`);

  const value = readText('value', message.value);
  if ('problem' in value) return malformed(value.problem);
  if (value.text.length === 0) return malformed('value is empty (envelope=key_only is not supported: DashOps needs the row, in the default wrapped envelope)');
  let keyText: string | null = null;
  if (message.key !== null) {
    const key = readText('key', message.key);
    if ('problem' in key) return malformed(key.problem);
    keyText = key.text.length === 0 ? null : key.text;
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(value.text);
  } catch (err) {
    return malformed(`value is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return malformed(`value must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`);
  }
  if (holdsNul(parsed)) return malformed('value holds an escaped NUL character (\\u0000), which no text column can store');

  // The Kafka message key: a JSON array of the primary-key values (null on a resolved message).
  let messageKey: unknown[] | null = null;
  if (keyText !== null) {
    let parsedKey: unknown;
    try {
      parsedKey = JSON.parse(keyText);
    } catch {
      return malformed(`message key ${quote(keyText)} is not JSON (a changefeed key is the JSON array of the primary key)`);
    }
    if (holdsNul(parsedKey)) return malformed('message key holds an escaped NUL character (\\u0000), which no text column can store');
    const checked = primaryKeySchema.safeParse(parsedKey);
    if (!checked.success) return malformed(`message key ${quote(keyText)} is not a JSON array of primary-key values`);
    messageKey = checked.data;
  }

  if ('resolved' in parsed && !('after' in parsed) && !('key' in parsed)) {
    const resolved = resolvedEnvelopeSchema.safeParse(parsed);
    if (!resolved.success) return malformed(`invalid resolved envelope: ${describeIssues(resolved.error)}`);
    const hlc = parseHlc(resolved.data.resolved);
    const ahead = tooFarAhead('resolved', resolved.data.resolved, hlc);
    if (ahead !== null) return malformed(ahead);
    return { kind: 'resolved', hlc, hlcText: resolved.data.resolved };
  }

  const hints = envelopeHints(parsed, messageKey);
  if ('__crdb__' in parsed && !('after' in parsed)) {
    return malformed('this is envelope=row or envelope=bare; DashOps reads the default wrapped envelope ({"after": …, "updated": …})', hints);
  }
  const envelope = changeEnvelopeSchema.safeParse(parsed);
  if (!('updated' in parsed)) {
    const others = envelope.success ? [] : envelope.error.issues.filter((issue) => issue.path[0] !== 'updated');
    const missing = "no `updated` timestamp: create the changefeed WITH updated (DashOps orders each key's changes by it)";
    if (others.length === 0) return malformed(`the envelope has ${missing}`, hints);
    return malformed(`invalid changefeed envelope: ${describeIssues({ issues: others })}; and it has ${missing}`, hints);
  }
  if (!envelope.success) return malformed(`invalid changefeed envelope: ${describeIssues(envelope.error)}`, hints);
  const { after, before, updated } = envelope.data;
  const updatedHlc = parseHlc(updated);
  const ahead = tooFarAhead('updated', updated, updatedHlc);
  if (ahead !== null) return malformed(ahead, hints);

  const valueKey = envelope.data.key ?? null;
  if (messageKey !== null && valueKey !== null && encodeKey(messageKey) !== encodeKey(valueKey)) {
    return malformed(`message key ${encodeKey(messageKey)} does not match the envelope key ${encodeKey(valueKey)}`, hints);
  }
  const key = messageKey ?? valueKey;
  if (key === null) {
    return malformed('no primary key: the Kafka message key is empty and the value has no `key` (CockroachDB sends it as the message key)', hints);
  }
  const rowKey = encodeKey(key);
  if (Buffer.byteLength(rowKey, 'utf8') > MAX_KEY_BYTES) return malformed(`key is over the ${MAX_KEY_BYTES}-byte limit for a primary key`, { updated });

  const { row, primaryKey } = changefeedTables[table];
  if (key.length !== primaryKey.length) {
    return malformed(`key ${rowKey} has ${key.length} value(s) but ${table}'s primary key is (${primaryKey.join(', ')})`, hints);
  }

  const decodeRow = (which: 'after' | 'before', data: Record<string, unknown> | null) => {
    if (data === null) return { ok: true as const, row: null };
    const result = row.safeParse(data);
    return result.success ? { ok: true as const, row: result.data } : { ok: false as const, error: describeIssues(result.error, which) };
  };
  const afterRow = decodeRow('after', after);
  if (!afterRow.ok) return malformed(`row does not match ${table}: ${afterRow.error}`, hints);
  const beforeRow = decodeRow('before', before);
  if (!beforeRow.ok) return malformed(`row does not match ${table}: ${beforeRow.error}`, hints);

  // Without the `diff` option a changefeed omits `before`, so an update then reads as an insert; a delete is
  // always `after: null`.
  const op = afterRow.row === null ? 'delete' : beforeRow.row === null ? 'insert' : 'update';
  const change = {
    table,
    key,
    rowKey,
    op,
    before: beforeRow.row,
    after: afterRow.row,
    updated: updatedHlc,
    updatedText: updated,
    source: { topic: message.topic, partition: message.partition, offset: message.offset },
  } as AnyChange;
  return { kind: 'change', change };
}

/** What the console can show of an envelope that failed: only text a column can store, and short. */
function envelopeHints(parsed: object, messageKey: unknown[] | null): { rowKey?: string; updated?: string } {
  const hints: { rowKey?: string; updated?: string } = {};
  const valueKey = 'key' in parsed && Array.isArray(parsed.key) ? (parsed.key as unknown[]) : null;
  const key = messageKey ?? valueKey;
  if (key !== null) {
    const rowKey = encodeKey(key);
    if (Buffer.byteLength(rowKey, 'utf8') <= MAX_KEY_BYTES) hints.rowKey = rowKey;
  }
  if ('updated' in parsed && typeof parsed.updated === 'string' && parsed.updated.length <= 64) hints.updated = parsed.updated;
  return hints;
}
