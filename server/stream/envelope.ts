import { z } from 'zod';

/**
 * The CockroachDB changefeed envelope (`WITH updated, diff`), as the CDC relay writes it and as a native
 * `CREATE CHANGEFEED … INTO 'kafka://…'` would: one message per row change, keyed by the JSON-array primary key.
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

export class InvalidHlcError extends Error {
  override name = 'InvalidHlcError';
}

export function parseHlc(text: string): Hlc {
  const match = HLC_PATTERN.exec(text);
  if (!match?.[1] || !match[2]) throw new InvalidHlcError(`"${text}" is not an HLC timestamp (<wallnanos>.<10-digit logical>)`);
  return { wall: BigInt(match[1]), logical: Number(match[2]) };
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

/** Unknown top-level fields are ignored, so a producer may add envelope options (e.g. `mvcc_timestamp`). */
export const changeEnvelopeSchema = z.object({
  after: rowSchema.nullable(),
  before: rowSchema.nullish().transform((value) => value ?? null),
  key: z.array(z.unknown()).min(1, 'key must name at least one primary-key column value'),
  updated: z.string().regex(HLC_PATTERN, 'updated must be "<wallnanos>.<10-digit logical>"'),
});

export const resolvedEnvelopeSchema = z.object({ resolved: z.string().regex(HLC_PATTERN) });

/** The key as it is written to Kafka and stored with watermarks: the JSON array text. */
export function encodeKey(key: unknown[]): string {
  return JSON.stringify(key);
}
