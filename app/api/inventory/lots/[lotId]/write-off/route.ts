import { z } from 'zod';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { identifierText } from '@/server/http/text-rules.ts';
import { UnknownStockItemError } from '@/server/inventory/errors.ts';
import { writeOffLot, writeOffLotSchema } from '@/server/inventory/stock.ts';

export const dynamic = 'force-dynamic';

const bodySchema = writeOffLotSchema.omit({ lotId: true });

/** POST /api/inventory/lots/:lotId/write-off {reason: expire|damage, note?} — writes the whole lot off (audited by writeOffLot). */
export const POST = apiRoute<{ lotId: string }>({ area: 'inventory', errors: [[UnknownStockItemError, 404]] }, async ({ params, user, ...ctx }) => {
  const { reason, note } = bodySchema.parse(await ctx.json());
  const lotId = z.object({ lotId: identifierText('lotId', 120) }).parse({ lotId: params.lotId }).lotId;
  return writeOffLot(db(), { lotId, reason, note }, { id: user.id, role: user.role });
});
