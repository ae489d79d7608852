import { z } from 'zod';
import { apiRoute } from '@/server/http/api-route.ts';
import { db } from '@/server/db/client.ts';
import { cancelBulkOp } from '@/server/stream/bulk-ops.ts';
import { temporal } from '@/server/temporal/client.ts';
import { bulkOpErrors } from '../../../_lib/bulk.ts';
import { actorOf } from '../../../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** Asks a running bulk operation to stop after the entries in hand; what it did stays done (audited when it stops). */
export const POST = apiRoute<{ opId: string }>({ area: 'dead-letters', errors: bulkOpErrors }, async (ctx) => {
  const { opId } = z.object({ opId: z.string().regex(/^[\w-]{1,64}$/, 'opId must be a bulk operation id (letters, digits, - and _)') }).parse(ctx.params);
  return { op: await cancelBulkOp({ db: db(), temporal: temporal() }, opId, actorOf(ctx.user)) };
});
