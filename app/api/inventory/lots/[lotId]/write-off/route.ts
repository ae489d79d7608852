import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { UnknownStockItemError } from '@/server/inventory/errors.ts';
import { lotIdParamsSchema, writeOffBodySchema } from '@/server/inventory/requests.ts';
import { writeOffLot } from '@/server/inventory/stock.ts';
import type { LotWrittenOffResponse } from '@/server/inventory/stock-responses.ts';

export const dynamic = 'force-dynamic';

/** POST /api/inventory/lots/:lotId/write-off {reason: expire|damage, note?} — writes the whole lot off (audited by writeOffLot). */
export const POST = apiRoute<{ lotId: string }>({ area: 'inventory', errors: [[UnknownStockItemError, 404]] }, async ({ params, user, ...ctx }): Promise<LotWrittenOffResponse> => {
  const { reason, note } = writeOffBodySchema.parse(await ctx.json());
  const { lotId } = lotIdParamsSchema.parse({ lotId: params.lotId });
  return writeOffLot(db(), { lotId, reason, note }, { id: user.id, role: user.role });
});
