import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { UnknownStockItemError } from '@/server/inventory/errors.ts';
import { parseStockKey, receiveLotSchema } from '@/server/inventory/requests.ts';
import { listLots, type LotListResponse } from '@/server/inventory/search.ts';
import { receiveLot } from '@/server/inventory/stock.ts';
import { lotReceivedResponse, type LotReceivedResponse } from '@/server/inventory/stock-responses.ts';

export const dynamic = 'force-dynamic';

/** GET /api/inventory/lots?store=&sku= — the row's lots with expiry, soonest first. */
export const GET = apiRoute({ area: 'inventory' }, async ({ searchParams }): Promise<LotListResponse> => ({ lots: await listLots(db(), parseStockKey(searchParams)) }));

/** POST /api/inventory/lots {storeId, sku, quantity, expiresOn, lotId?, note?} — receives a lot (audited by receiveLot). */
export const POST = apiRoute({ area: 'inventory', errors: [[UnknownStockItemError, 404]] }, async (ctx): Promise<LotReceivedResponse> => {
  const { user } = ctx;
  const input = receiveLotSchema.parse(await ctx.json());
  return lotReceivedResponse(await receiveLot(db(), input, { id: user.id, role: user.role }));
});
