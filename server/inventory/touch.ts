import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import type { PrismaClient } from '../db/generated/client.ts';

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
    await tx.auditLog.create({
      data: {
        actor: actor.id,
        actorRole: actor.role,
        action: 'inventory.touch',
        target: request.table,
        reason,
        details: { storeId: request.storeId ?? null, keys: keys ?? null, touched: count },
      },
    });
    return count;
  });
  return touched;
}

/** Touches lots that have expired but still hold stock, so the expiry write-off sub-processor sees them. */
export async function touchExpiredLots(db: PrismaClient, today = new Date()): Promise<number> {
  const day = today.toISOString().slice(0, 10);
  return db.$executeRaw`
    UPDATE inventory_lots SET updated_at = clock_timestamp()
    WHERE quantity > 0 AND expires_on < ${day}::date`;
}
