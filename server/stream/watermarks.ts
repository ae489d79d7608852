import { Prisma, type PrismaClient } from '../db/generated/client.ts';
import { compareHlc, type Hlc } from './envelope.ts';
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
