import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { recordAudit } from '../audit/audit-row.ts';
import { Prisma, type PrismaClient } from '../db/generated/client.ts';
import { escapeLike } from './search.ts';

/**
 * Recovery by touch: bumping updated_at re-emits the chosen rows through the CDC relay, so every sub-processor
 * sees them again as new changes. Used to re-drive a key after a fix, or to feed time-based work (expiry).
 */
export const touchSchema = z.discriminatedUnion('table', [
  z.object({
    table: z.literal('inventory_levels'),
    storeId: z.string().trim().min(1).optional(),
    skus: z.array(z.string().trim().min(1)).max(10_000).optional(),
  }),
  z.object({
    table: z.literal('inventory_lots'),
    storeId: z.string().trim().min(1).optional(),
    lotIds: z.array(z.string().trim().min(1)).max(10_000).optional(),
  }),
]);
export type TouchRequest = z.input<typeof touchSchema>;

export class TouchTooBroadError extends Error {
  override name = 'TouchTooBroadError';
}

/** Bumps updated_at on the rows the request selects (at least a store or explicit keys); returns how many. */
export async function touchRows(db: PrismaClient, input: TouchRequest, actor: Actor, reason: string): Promise<number> {
  const request = touchSchema.parse(input);
  const keys = request.table === 'inventory_levels' ? request.skus : request.lotIds;
  if (!request.storeId && !keys?.length) {
    throw new TouchTooBroadError('Choose a store or explicit keys: touching a whole table is not allowed from here.');
  }
  const touched = await db.$transaction(async (tx) => {
    const count =
      request.table === 'inventory_levels'
        ? await tx.$executeRaw`
            UPDATE inventory_levels SET updated_at = clock_timestamp()
            WHERE (${request.storeId ?? null}::text IS NULL OR store_id = ${request.storeId ?? null})
              AND (${keys ?? null}::text[] IS NULL OR sku = ANY(${keys ?? null}::text[]))`
        : await tx.$executeRaw`
            UPDATE inventory_lots SET updated_at = clock_timestamp()
            WHERE (${request.storeId ?? null}::text IS NULL OR store_id = ${request.storeId ?? null})
              AND (${keys ?? null}::text[] IS NULL OR lot_id = ANY(${keys ?? null}::text[]))`;
    await recordAudit(tx, {
      actor,
      action: 'inventory.touch',
      target: request.table,
      reason,
      details: { storeId: request.storeId ?? null, keys: keys ?? null, touched: count },
    });
    return count;
  });
  return touched;
}

export type TouchTable = 'inventory_levels' | 'inventory_lots';

/** The rows of one store whose SKU starts with `skuPrefix` (taken literally; none means every SKU). */
export interface TouchScope {
  storeId: string;
  skuPrefix?: string;
}

type Db = PrismaClient | Prisma.TransactionClient;

/** Each table's key within a store, which orders the batches (levels: sku; lots: lot_id). */
const SCOPE_KEY = {
  inventory_levels: Prisma.raw('sku'),
  inventory_lots: Prisma.raw('lot_id'),
} as const satisfies Record<TouchTable, Prisma.Sql>;

const skuPattern = (scope: TouchScope) => `${escapeLike(scope.skuPrefix ?? '')}%`;

/** How many rows of `table` the scope selects. */
export async function countScope(db: Db, table: TouchTable, scope: TouchScope): Promise<number> {
  const rows = await db.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM ${Prisma.raw(table)}
    WHERE store_id = ${scope.storeId} AND sku LIKE ${skuPattern(scope)}`;
  return rows[0]?.count ?? 0;
}

/**
 * Bumps updated_at on the next `limit` rows of the scope after key `after`, in key order, and returns how many
 * it touched and the last key (for the next batch). The rows are locked in key order, as one statement.
 */
export async function touchScopeBatch(
  db: Db,
  table: TouchTable,
  scope: TouchScope,
  after: string | null,
  limit: number,
): Promise<{ touched: number; last: string | null }> {
  const key = SCOPE_KEY[table];
  const name = Prisma.raw(table);
  // max() and ORDER BY both use the column's collation, so the next batch's `>` continues where this one ended.
  const rows = await db.$queryRaw<{ touched: number; last: string | null }[]>`
    WITH picked AS (
      SELECT ${key} AS key FROM ${name}
      WHERE store_id = ${scope.storeId} AND sku LIKE ${skuPattern(scope)}
        AND (${after}::text IS NULL OR ${key} > ${after}::text)
      ORDER BY ${key}
      LIMIT ${limit}
      FOR UPDATE
    ), bumped AS (
      UPDATE ${name} t SET updated_at = clock_timestamp()
      FROM picked WHERE t.store_id = ${scope.storeId} AND t.${key} = picked.key
      RETURNING t.${key} AS key
    )
    SELECT count(*)::int AS touched, max(key) AS last FROM bumped`;
  return { touched: rows[0]?.touched ?? 0, last: rows[0]?.last ?? null };
}

/** Touches lots that have expired but still hold stock, so the expiry write-off sub-processor sees them. */
export async function touchExpiredLots(db: PrismaClient, today = new Date()): Promise<number> {
  const day = today.toISOString().slice(0, 10);
  return db.$executeRaw`
    UPDATE inventory_lots SET updated_at = clock_timestamp()
    WHERE quantity > 0 AND expires_on < ${day}::date`;
}
