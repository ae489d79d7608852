import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { UnknownStockItemError } from '@/server/inventory/errors.ts';
import { listLots, parseStockKey } from '@/server/inventory/search.ts';
import { receiveLot, receiveLotSchema } from '@/server/inventory/stock.ts';

export const dynamic = 'force-dynamic';

/** GET /api/inventory/lots?store=&sku= — the row's lots with expiry, soonest first. */
export const GET = apiRoute({ area: 'inventory' }, async ({ searchParams }) => ({ lots: await listLots(db(), parseStockKey(searchParams)) }));

/** POST /api/inventory/lots {storeId, sku, quantity, expiresOn, lotId?, note?} — receives a lot (audited by receiveLot). */
export const POST = apiRoute({ area: 'inventory', errors: [[UnknownStockItemError, 404]] }, async (ctx) => {
  const { user } = ctx;
  const input = receiveLotSchema.parse(await ctx.json());
  const result = await receiveLot(db(), input, { id: user.id, role: user.role });
  return { adjustmentId: result.adjustmentId.toString(), lotId: result.lotId, onHand: result.onHand, updatedAt: result.updatedAt.toISOString() };
});
