import { z } from 'zod';
import { apiRoute } from '@/server/http/api-route.ts';
import { db } from '@/server/db/client.ts';
import { getBulkOp } from '@/server/stream/bulk-ops.ts';
import { bulkOpErrors } from '../../_lib/bulk.ts';

export const dynamic = 'force-dynamic';

const paramsSchema = z.object({ opId: z.string().regex(/^[\w-]{1,64}$/, 'opId must be a bulk operation id (letters, digits, - and _)') });
const pageSchema = z.object({
  after: z.string().regex(/^\d{1,19}$/, 'after must be a value returned as nextAfter').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** One bulk operation and a page of its per-entry results (by entry id, from `after`). */
export const GET = apiRoute<{ opId: string }>({ area: 'dead-letters', errors: bulkOpErrors }, async ({ params, searchParams }) => {
  const page = pageSchema.parse({ after: searchParams.get('after') ?? undefined, limit: searchParams.get('limit') ?? undefined });
  return getBulkOp(db(), paramsSchema.parse(params).opId, page);
});
