import { apiRoute } from '@/server/http/api-route.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { previewBulkOp } from '@/server/stream/bulk-ops.ts';
import type { BulkOpPreviewResponse } from '@/server/stream/dead-letter-answers.ts';
import { parseBulkPreviewQuery } from '@/server/stream/requests.ts';
import { bulkOpErrors } from '../../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/**
 * How many pending entries a bulk operation would take now (the count the operator confirms), by `ids` (comma list)
 * or the filter fields in the query string; with the default rate, for the time estimate.
 */
export const GET = apiRoute({ area: 'dead-letters', errors: bulkOpErrors }, async ({ searchParams }): Promise<BulkOpPreviewResponse> => {
  const selection = parseBulkPreviewQuery(searchParams);
  return { ...(await previewBulkOp(db(), selection)), defaultRatePerSecond: env().DEAD_LETTER_BULK_RATE };
});
