import { z } from 'zod';
import { apiRoute } from '@/server/http/api-route.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { previewBulkOp } from '@/server/stream/bulk-ops.ts';
import { bulkOpErrors, bulkSelectionSchema } from '../../_lib/bulk.ts';

export const dynamic = 'force-dynamic';

const FILTER_KEYS = ['topic', 'subProcessor', 'errorText', 'from', 'to'] as const;

/**
 * How many pending entries a bulk operation would take now (the count the operator confirms), by `ids` (comma list)
 * or the filter fields in the query string; with the default rate, for the time estimate.
 */
export const GET = apiRoute({ area: 'dead-letters', errors: bulkOpErrors }, async ({ searchParams }) => {
  const ids = searchParams.get('ids');
  const filter = Object.fromEntries(FILTER_KEYS.flatMap((key) => (searchParams.get(key) === null ? [] : [[key, searchParams.get(key)]])));
  const selection = bulkSelectionSchema.parse(ids !== null ? { ids: z.string().parse(ids).split(',').filter(Boolean) } : { filter });
  return { ...(await previewBulkOp(db(), selection)), defaultRatePerSecond: env().DEAD_LETTER_BULK_RATE };
});
