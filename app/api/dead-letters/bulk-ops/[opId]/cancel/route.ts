import { apiRoute } from '@/server/http/api-route.ts';
import { db } from '@/server/db/client.ts';
import { cancelBulkOp } from '@/server/stream/bulk-ops.ts';
import type { BulkOpResponse } from '@/server/stream/dead-letter-answers.ts';
import { bulkOpParamsSchema } from '@/server/stream/requests.ts';
import { temporal } from '@/server/temporal/client.ts';
import { actorOf, bulkOpErrors } from '../../../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** Asks a running bulk operation to stop after the entries in hand; what it did stays done (audited when it stops). */
export const POST = apiRoute<{ opId: string }>({ area: 'dead-letters', errors: bulkOpErrors }, async (ctx): Promise<BulkOpResponse> => {
  const { opId } = bulkOpParamsSchema.parse(ctx.params);
  return { op: await cancelBulkOp({ db: db(), temporal: temporal() }, opId, actorOf(ctx.user)) };
});
