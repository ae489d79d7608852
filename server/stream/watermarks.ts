import { Prisma, type ChangeOutcomeKind, type PrismaClient } from '../db/generated/client.ts';
import { sqlExecute, sqlRows, type SqlClient } from '../db/sql.ts';
// The decoder refuses an `updated` further ahead than this skew; a stored watermark further ahead is poisoned.
import { DEFAULT_MAX_FUTURE_SKEW_MS } from './decode.ts';
import { compareHlc, type Hlc } from './envelope.ts';
import type { Change } from './sub-processor.ts';
import type { ChangefeedTable } from './tables.ts';

/** A Prisma client or an interactive transaction's client. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** What the watermarks need to know about a change. */
export interface WatermarkedChange {
  table: ChangefeedTable;
  rowKey: string;
  updated: Hlc;
}

type Named = { name: string } | string;
const nameOf = (subProcessor: Named): string => (typeof subProcessor === 'string' ? subProcessor : subProcessor.name);

/**
 * `new`: newer than anything this sub-processor has handled for the key. `duplicate`: exactly the version
 * it last handled (a redelivery). `stale`: older than that (arrived out of order, or replayed after a newer one).
 */
export type Freshness = 'new' | 'duplicate' | 'stale';

/** The newest `updated` this sub-processor has handled for the key, or null if it has never seen the key. */
export async function readWatermark(db: Db, subProcessor: Named, table: string, rowKey: string): Promise<Hlc | null> {
  const row = await db.processorWatermark.findUnique({
    where: { subProcessor_tableName_rowKey: { subProcessor: nameOf(subProcessor), tableName: table, rowKey } },
    select: { updatedWall: true, updatedLogical: true },
  });
  return row ? { wall: row.updatedWall, logical: row.updatedLogical } : null;
}

export function freshness(change: { updated: Hlc }, watermark: Hlc | null): Freshness {
  if (watermark === null) return 'new';
  const order = compareHlc(change.updated, watermark);
  return order > 0 ? 'new' : order === 0 ? 'duplicate' : 'stale';
}

export async function classify(db: Db, subProcessor: Named, change: WatermarkedChange): Promise<Freshness> {
  return freshness(change, await readWatermark(db, subProcessor, change.table, change.rowKey));
}

/**
 * Moves the watermark up to `change.updated`, never back: one upsert whose update only fires when the stored
 * (wall, logical) is older, so concurrent writers cannot regress it. As a fragment, so it can ride in a
 * data-modifying CTE with the outcome row (one statement, one round trip, atomic).
 */
export function advanceSql(subProcessor: Named, change: WatermarkedChange): Prisma.Sql {
  const { wall, logical } = change.updated;
  return Prisma.sql`
    INSERT INTO processor_watermarks (sub_processor, table_name, row_key, updated_wall, updated_logical, processed_at)
    VALUES (${nameOf(subProcessor)}, ${change.table}, ${change.rowKey}, ${wall}, ${logical}, now())
    ON CONFLICT (sub_processor, table_name, row_key) DO UPDATE
      SET updated_wall = EXCLUDED.updated_wall, updated_logical = EXCLUDED.updated_logical, processed_at = EXCLUDED.processed_at
      WHERE (processor_watermarks.updated_wall, processor_watermarks.updated_logical) < (EXCLUDED.updated_wall, EXCLUDED.updated_logical)`;
}

/** Advances the watermark on its own; resolves whether it moved. */
export async function advance(db: Db, subProcessor: Named, change: WatermarkedChange): Promise<boolean> {
  return (await db.$executeRaw(advanceSql(subProcessor, change))) > 0;
}


/** The wall (ns) beyond which a watermark is poisoned: written by a far-future `updated` that is no real commit. */
function poisonedAboveWall(now: Date, maxFutureSkewMs: number): bigint {
  return BigInt(now.getTime() + maxFutureSkewMs) * 1_000_000n;
}

export const watermarkKey = (change: Pick<WatermarkedChange, 'table' | 'rowKey'>): string => `${change.table}\u0000${change.rowKey}`;

/**
 * The watermarks of every key in `changes` for one sub-processor, in one statement, keyed by `watermarkKey`. A
 * watermark further ahead of the clock than the allowed skew (written before far-future `updated`s were refused)
 * is left out, so it cannot make every later change of its key look stale; `settleOutcomes` then overwrites it.
 */
export async function readWatermarks(
  db: SqlClient,
  subProcessor: Named,
  changes: readonly WatermarkedChange[],
  options: { now: Date; maxFutureSkewMs: number },
): Promise<Map<string, Hlc>> {
  const name = nameOf(subProcessor);
  return (await readWatermarksOf(db, [name], changes, options)).get(name) ?? new Map();
}

/** `readWatermarks` for several sub-processors of the same changes at once (one statement): by sub-processor name. */
export async function readWatermarksOf(
  db: SqlClient,
  subProcessors: readonly string[],
  changes: readonly WatermarkedChange[],
  { now, maxFutureSkewMs }: { now: Date; maxFutureSkewMs: number },
): Promise<Map<string, Map<string, Hlc>>> {
  const bySubProcessor = new Map(subProcessors.map((name) => [name, new Map<string, Hlc>()]));
  const keys = new Map(changes.map((change) => [watermarkKey(change), change]));
  if (keys.size === 0 || subProcessors.length === 0) return bySubProcessor;
  const tables = [...keys.values()].map((change) => change.table);
  const rowKeys = [...keys.values()].map((change) => change.rowKey);
  const rows = await sqlRows<{ sub_processor: string; table_name: string; row_key: string; updated_wall: bigint | string; updated_logical: number }>(
    db,
    Prisma.sql`
    SELECT w.sub_processor, w.table_name, w.row_key, w.updated_wall, w.updated_logical
    FROM unnest(${tables}::text[], ${rowKeys}::text[]) AS k(table_name, row_key)
    JOIN processor_watermarks w ON w.sub_processor = ANY(${[...subProcessors]}::text[]) AND w.table_name = k.table_name AND w.row_key = k.row_key
    WHERE w.updated_wall <= ${poisonedAboveWall(now, maxFutureSkewMs).toString()}::bigint`,
  );
  for (const row of rows) {
    bySubProcessor.get(row.sub_processor)?.set(watermarkKey({ table: row.table_name as ChangefeedTable, rowKey: row.row_key }), { wall: BigInt(row.updated_wall), logical: row.updated_logical });
  }
  return bySubProcessor;
}

/** One `change_outcomes` row to write, and whether the change was handled (so its watermark advances). */
export interface PendingOutcome {
  subProcessor: string;
  change: Pick<Change<unknown>, 'table' | 'rowKey' | 'updated' | 'updatedText' | 'source'>;
  outcome: ChangeOutcomeKind;
  workflowId?: string;
  runId?: string;
  detail?: string;
  latencyMs: number;
  advance: boolean;
}

/**
 * Writes a batch's outcome rows and advances the watermarks of its handled changes in one statement (one round
 * trip, atomic). The advance is a compare-and-set per (sub-processor, table, key): it moves only to a newer
 * version, so concurrent writers and redeliveries can never move a watermark back; a poisoned (far-future)
 * watermark may be overwritten.
 */
export async function settleOutcomes(db: SqlClient, outcomes: readonly PendingOutcome[], { now = () => new Date(), maxFutureSkewMs = DEFAULT_MAX_FUTURE_SKEW_MS }: { now?: () => Date; maxFutureSkewMs?: number } = {}): Promise<void> {
  if (outcomes.length === 0) return;
  // Per key, the newest handled version: one upsert row per key (ON CONFLICT cannot touch a row twice).
  const newest = new Map<string, PendingOutcome>();
  for (const outcome of outcomes) {
    if (!outcome.advance) continue;
    const key = `${outcome.subProcessor}\u0000${watermarkKey(outcome.change)}`;
    const current = newest.get(key);
    if (!current || compareHlc(outcome.change.updated, current.change.updated) > 0) newest.set(key, outcome);
  }
  const marks = [...newest.values()];
  const column = <T>(rows: readonly PendingOutcome[], pick: (row: PendingOutcome) => T): T[] => rows.map(pick);
  await sqlExecute(
    db,
    Prisma.sql`
    WITH marks AS (
      INSERT INTO processor_watermarks AS w (sub_processor, table_name, row_key, updated_wall, updated_logical, processed_at)
      SELECT m.sub_processor, m.table_name, m.row_key, m.updated_wall, m.updated_logical, now()
      FROM unnest(${column(marks, (m) => m.subProcessor)}::text[], ${column(marks, (m) => m.change.table)}::text[], ${column(marks, (m) => m.change.rowKey)}::text[],
                  ${column(marks, (m) => m.change.updated.wall.toString())}::bigint[], ${column(marks, (m) => m.change.updated.logical)}::int[])
             AS m(sub_processor, table_name, row_key, updated_wall, updated_logical)
      ON CONFLICT (sub_processor, table_name, row_key) DO UPDATE
        SET updated_wall = EXCLUDED.updated_wall, updated_logical = EXCLUDED.updated_logical, processed_at = EXCLUDED.processed_at
        WHERE (w.updated_wall, w.updated_logical) < (EXCLUDED.updated_wall, EXCLUDED.updated_logical)
           OR w.updated_wall > ${poisonedAboveWall(now(), maxFutureSkewMs).toString()}::bigint
    )
    INSERT INTO change_outcomes (table_name, row_key, updated, topic, partition, "offset", sub_processor, outcome, workflow_id, run_id, detail, latency_ms)
    SELECT o.table_name, o.row_key, o.updated, o.topic, o.partition, o."offset", o.sub_processor, o.outcome::"ChangeOutcomeKind", o.workflow_id, o.run_id, o.detail, o.latency_ms
    FROM unnest(${column(outcomes, (o) => o.change.table)}::text[], ${column(outcomes, (o) => o.change.rowKey)}::text[], ${column(outcomes, (o) => o.change.updatedText)}::text[],
                ${column(outcomes, (o) => o.change.source.topic)}::text[], ${column(outcomes, (o) => o.change.source.partition)}::int[],
                ${column(outcomes, (o) => o.change.source.offset)}::bigint[], ${column(outcomes, (o) => o.subProcessor)}::text[],
                ${column(outcomes, (o) => o.outcome)}::text[], ${column(outcomes, (o) => o.workflowId ?? null)}::text[], ${column(outcomes, (o) => o.runId ?? null)}::text[],
                ${column(outcomes, (o) => o.detail?.slice(0, 2000) ?? null)}::text[], ${column(outcomes, (o) => o.latencyMs)}::int[])
           AS o(table_name, row_key, updated, topic, partition, "offset", sub_processor, outcome, workflow_id, run_id, detail, latency_ms)`,
  );
}
