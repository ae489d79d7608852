import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { InsufficientStockError, UnknownStockItemError } from '@/server/inventory/errors.ts';
import { parseStockKey, stockAdjustmentSchema } from '@/server/inventory/requests.ts';
import { recentAdjustments, type AdjustmentListResponse } from '@/server/inventory/search.ts';
import { adjustStock } from '@/server/inventory/stock.ts';
import { stockAdjustedResponse, type StockAdjustedResponse } from '@/server/inventory/stock-responses.ts';

export const dynamic = 'force-dynamic';

const errors = [
  [UnknownStockItemError, 404],
  [InsufficientStockError, 409],
] as const;

/** GET /api/inventory/adjustments?store=&sku= — the row's latest stock changes. */
export const GET = apiRoute({ area: 'inventory' }, async ({ searchParams }): Promise<AdjustmentListResponse> => ({
  adjustments: await recentAdjustments(db(), parseStockKey(searchParams)),
}));

/** POST /api/inventory/adjustments {storeId, sku, delta, reason, note?} — adjusts on-hand (audited by adjustStock). */
export const POST = apiRoute({ area: 'inventory', errors }, async (ctx): Promise<StockAdjustedResponse> => {
  const { user } = ctx;
  const input = stockAdjustmentSchema.parse(await ctx.json());
  return stockAdjustedResponse(await adjustStock(db(), input, { id: user.id, role: user.role }));
});
