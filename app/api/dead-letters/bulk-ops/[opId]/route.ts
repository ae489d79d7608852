import { apiRoute } from '@/server/http/api-route.ts';
import { db } from '@/server/db/client.ts';
import { getBulkOp } from '@/server/stream/bulk-ops.ts';
import type { BulkOpPageResponse } from '@/server/stream/dead-letter-answers.ts';
import { bulkOpPageSchema, bulkOpParamsSchema } from '@/server/stream/requests.ts';
import { bulkOpErrors } from '../../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** One bulk operation and a page of its per-entry results (by entry id, from `after`). */
export const GET = apiRoute<{ opId: string }>({ area: 'dead-letters', errors: bulkOpErrors }, async ({ params, searchParams }): Promise<BulkOpPageResponse> => {
  const page = bulkOpPageSchema.parse({ after: searchParams.get('after') ?? undefined, limit: searchParams.get('limit') ?? undefined });
  return getBulkOp(db(), bulkOpParamsSchema.parse(params).opId, page);
});
