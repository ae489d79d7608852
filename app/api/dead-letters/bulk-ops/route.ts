import { apiRoute } from '@/server/http/api-route.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { listBulkOps, startBulkOp } from '@/server/stream/bulk-ops.ts';
import type { BulkOpListResponse, BulkOpResponse } from '@/server/stream/dead-letter-answers.ts';
import { bulkStartSchema } from '@/server/stream/requests.ts';
import { temporal } from '@/server/temporal/client.ts';
import { actorOf, bulkOpErrors } from '../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** Running bulk operations first, then the latest finished ones, with their counts. */
export const GET = apiRoute({ area: 'dead-letters', errors: bulkOpErrors }, async (): Promise<BulkOpListResponse> => ({ ops: await listBulkOps(db()) }));

/**
 * Starts a durable bulk replay or discard (a Temporal workflow) of the pending entries selected, after the operator
 * confirmed the previewed count with a reason. Answers the op at once; its progress is read from GET.
 */
export const POST = apiRoute({ area: 'dead-letters', errors: bulkOpErrors }, async (ctx) => {
  const body = bulkStartSchema.parse(await ctx.json());
  const op = await startBulkOp(
    { db: db(), temporal: temporal() },
    { kind: body.kind, selection: body.selection, reason: body.reason, confirmedCount: body.confirmedCount, ratePerSecond: body.ratePerSecond ?? env().DEAD_LETTER_BULK_RATE },
    actorOf(ctx.user),
  );
  return Response.json({ op } satisfies BulkOpResponse, { status: 201, headers: { 'cache-control': 'no-store' } });
});
