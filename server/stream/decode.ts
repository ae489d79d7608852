import type { z } from 'zod';
import { changeEnvelopeSchema, encodeKey, parseHlc, resolvedEnvelopeSchema, type Hlc } from './envelope.ts';
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

const text = (data: Buffer | string | null): string | null => (data === null ? null : typeof data === 'string' ? data : data.toString('utf8'));

function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/**
 * Reads one changefeed message for `table`. Tolerant of schema evolution: unknown envelope fields and
 * unknown columns are dropped, missing nullable columns are fine. Never throws: anything unreadable comes
 * back as `malformed` with a message that says what was wrong, for the dead-letter queue.
 */
export function decodeMessage(table: ChangefeedTable, message: RawMessage): DecodeResult {
  const malformed = (reason: string, hints: { rowKey?: string; updated?: string } = {}): DecodeResult => ({
    kind: 'malformed',
    error: new MalformedMessageError(`${message.topic}[${message.partition}]@${message.offset}: ${reason}`),
    ...hints,
  });

  const valueText = text(message.value);
  if (valueText === null) return malformed('message has no value (a tombstone is not a changefeed envelope)');

  let parsed: unknown;
  try {
    parsed = JSON.parse(valueText);
  } catch (err) {
    return malformed(`value is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return malformed(`value must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`);
  }

  if ('resolved' in parsed && !('after' in parsed) && !('key' in parsed)) {
    const resolved = resolvedEnvelopeSchema.safeParse(parsed);
    if (!resolved.success) return malformed(`invalid resolved envelope: ${describeIssues(resolved.error)}`);
    return { kind: 'resolved', hlc: parseHlc(resolved.data.resolved), hlcText: resolved.data.resolved };
  }

  const hints = envelopeHints(parsed);
  const envelope = changeEnvelopeSchema.safeParse(parsed);
  if (!envelope.success) return malformed(`invalid changefeed envelope: ${describeIssues(envelope.error)}`, hints);
  const { after, before, key, updated } = envelope.data;
  const rowKey = encodeKey(key);

  const { row, primaryKey } = changefeedTables[table];
  if (key.length !== primaryKey.length) {
    return malformed(`key ${rowKey} has ${key.length} value(s) but ${table}'s primary key is (${primaryKey.join(', ')})`, hints);
  }
  const keyText = text(message.key);
  if (keyText !== null && !sameKey(keyText, key)) {
    return malformed(`message key ${keyText} does not match the envelope key ${rowKey}`, hints);
  }

  const decodeRow = (which: 'after' | 'before', value: Record<string, unknown> | null) => {
    if (value === null) return { ok: true as const, row: null };
    const result = row.safeParse(value);
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
    updated: parseHlc(updated),
    updatedText: updated,
    source: { topic: message.topic, partition: message.partition, offset: message.offset },
  } as AnyChange;
  return { kind: 'change', change };
}

function sameKey(keyText: string, key: unknown[]): boolean {
  try {
    return JSON.stringify(JSON.parse(keyText)) === encodeKey(key);
  } catch {
    return false;
  }
}

function envelopeHints(parsed: object): { rowKey?: string; updated?: string } {
  const hints: { rowKey?: string; updated?: string } = {};
  if ('key' in parsed && Array.isArray(parsed.key)) hints.rowKey = encodeKey(parsed.key as unknown[]);
  if ('updated' in parsed && typeof parsed.updated === 'string') hints.updated = parsed.updated;
  return hints;
}
