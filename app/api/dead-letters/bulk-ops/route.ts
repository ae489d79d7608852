import { z } from 'zod';
import { apiRoute } from '@/server/http/api-route.ts';
import { freeText } from '@/server/http/text-rules.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { BULK_RATE_MAX, listBulkOps, startBulkOp } from '@/server/stream/bulk-ops.ts';
import { temporal } from '@/server/temporal/client.ts';
import { bulkOpErrors, bulkSelectionSchema } from '../_lib/bulk.ts';
import { actorOf } from '../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** Running bulk operations first, then the latest finished ones, with their counts. */
export const GET = apiRoute({ area: 'dead-letters', errors: bulkOpErrors }, async () => ({ ops: await listBulkOps(db()) }));

const startSchema = z.object({
  kind: z.enum(['replay', 'discard'], { error: 'kind must be replay or discard' }),
  selection: bulkSelectionSchema,
  reason: z
    .string({ error: 'reason is required' })
    .pipe(freeText('reason', 500))
    .pipe(z.string().trim().min(1, 'A reason is required for a bulk operation; it goes into the audit log.')),
  confirmedCount: z.number({ error: 'confirmedCount (the previewed count you confirmed) is required' }).int().min(1),
  ratePerSecond: z.number().positive().max(BULK_RATE_MAX).optional(),
});

/**
 * Starts a durable bulk replay or discard (a Temporal workflow) of the pending entries selected, after the operator
 * confirmed the previewed count with a reason. Answers the op at once; its progress is read from GET.
 */
export const POST = apiRoute({ area: 'dead-letters', errors: bulkOpErrors }, async (ctx) => {
  const body = startSchema.parse(await ctx.json());
  const op = await startBulkOp(
    { db: db(), temporal: temporal() },
    { kind: body.kind, selection: body.selection, reason: body.reason, confirmedCount: body.confirmedCount, ratePerSecond: body.ratePerSecond ?? env().DEAD_LETTER_BULK_RATE },
    actorOf(ctx.user),
  );
  return Response.json({ op }, { status: 201, headers: { 'cache-control': 'no-store' } });
});
