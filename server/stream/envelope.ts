import { z } from 'zod';

/**
 * The CockroachDB changefeed envelope (`WITH updated, diff`, default `envelope=wrapped`, `format=json`), as the
 * CDC relay writes it: one message per row change, keyed by the JSON-array primary key. The relay also copies
 * the key into the value, as CockroachDB's `key_in_value` does; a native `CREATE CHANGEFEED … INTO 'kafka://…'`
 * leaves it out of the value by default, so readers take the key from the Kafka message key.
 */
export interface ChangeEnvelope {
  after: Record<string, unknown> | null;
  before: Record<string, unknown> | null;
  key: unknown[];
  /** `<wall-clock nanoseconds>.<10-digit logical counter>`, an HLC timestamp. */
  updated: string;
}

/** Periodic checkpoint: every change with `updated` at or below this has been emitted on this partition. */
export interface ResolvedEnvelope {
  resolved: string;
}

/** A hybrid logical clock timestamp, comparable across a table's changes. */
export interface Hlc {
  wall: bigint;
  logical: number;
}

const HLC_PATTERN = /^(\d{1,20})\.(\d{10})$/;

/** Watermarks store the wall clock as int8 and the logical counter as int4: anything larger cannot be ordered. */
export const HLC_MAX_WALL = 9_223_372_036_854_775_807n;
export const HLC_MAX_LOGICAL = 2_147_483_647;

export class InvalidHlcError extends Error {
  override name = 'InvalidHlcError';
}

/** Why `text` is not a storable HLC timestamp, or null when it is one. */
export function hlcProblem(text: string): string | null {
  const match = HLC_PATTERN.exec(text);
  if (!match?.[1] || !match[2]) return 'must be "<wallnanos>.<10-digit logical>"';
  if (BigInt(match[1]) > HLC_MAX_WALL) return `wall time ${match[1]} is above ${HLC_MAX_WALL} (int8)`;
  if (Number(match[2]) > HLC_MAX_LOGICAL) return `logical counter ${match[2]} is above ${HLC_MAX_LOGICAL} (int4)`;
  return null;
}

export function parseHlc(text: string): Hlc {
  const problem = hlcProblem(text);
  if (problem !== null) throw new InvalidHlcError(`${JSON.stringify(text.slice(0, 60))} is not an HLC timestamp: ${problem}`);
  const [wall = '', logical = ''] = text.split('.');
  return { wall: BigInt(wall), logical: Number(logical) };
}

export function formatHlc({ wall, logical }: Hlc): string {
  return `${wall}.${String(logical).padStart(10, '0')}`;
}

export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  return a.logical - b.logical;
}

/** Milliseconds since the epoch of an HLC timestamp's wall clock. */
export function hlcToMillis({ wall }: Hlc): number {
  return Number(wall / 1_000_000n);
}

export function hlcFromDate(date: Date, logical = 0): Hlc {
  return { wall: BigInt(date.getTime()) * 1_000_000n, logical };
}

const rowSchema = z.record(z.string(), z.unknown());

const hlcText = (field: string) =>
  z.string().superRefine((text, ctx) => {
    const problem = hlcProblem(text);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: `${field} ${problem}` });
  });

export const primaryKeySchema = z.array(z.unknown()).min(1, 'key must name at least one primary-key column value');

/**
 * Unknown top-level fields are ignored, so the envelope options a changefeed may add (`mvcc_timestamp`,
 * `topic` from `topic_in_value`) pass. `before` is there only `WITH diff`; `key` only `WITH key_in_value` (the
 * Kafka message key carries it otherwise).
 */
export const changeEnvelopeSchema = z.object({
  after: rowSchema.nullable(),
  before: rowSchema.nullish().transform((value) => value ?? null),
  key: primaryKeySchema.optional(),
  updated: hlcText('updated'),
});

/** `WITH resolved`: `{"resolved":"<hlc>"}` with no message key, sent to every partition of every topic. */
export const resolvedEnvelopeSchema = z.object({ resolved: hlcText('resolved') });

/** The key as it is written to Kafka and stored with watermarks: the JSON array text. */
export function encodeKey(key: unknown[]): string {
  return JSON.stringify(key);
}
