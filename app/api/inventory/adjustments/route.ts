import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { InsufficientStockError, UnknownStockItemError } from '@/server/inventory/errors.ts';
import { parseStockKey, recentAdjustments } from '@/server/inventory/search.ts';
import { adjustStock, stockAdjustmentSchema } from '@/server/inventory/stock.ts';

export const dynamic = 'force-dynamic';

const errors = [
  [UnknownStockItemError, 404],
  [InsufficientStockError, 409],
] as const;

/** GET /api/inventory/adjustments?store=&sku= — the row's latest stock changes. */
export const GET = apiRoute({ area: 'inventory' }, async ({ searchParams }) => ({ adjustments: await recentAdjustments(db(), parseStockKey(searchParams)) }));

/** POST /api/inventory/adjustments {storeId, sku, delta, reason, note?} — adjusts on-hand (audited by adjustStock). */
export const POST = apiRoute({ area: 'inventory', errors }, async (ctx) => {
  const { user } = ctx;
  const input = stockAdjustmentSchema.parse(await ctx.json());
  const level = await adjustStock(db(), input, { id: user.id, role: user.role });
  return {
    adjustmentId: level.adjustmentId.toString(),
    storeId: level.storeId,
    sku: level.sku,
    onHand: level.onHand,
    updatedAt: level.updatedAt.toISOString(),
  };
});
