import { recentMismatches } from '@/server/card-link/shadow.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { mismatchQuerySchema } from '../../schemas.ts';

export const dynamic = 'force-dynamic';

/** The latest shadow mismatches of one partner (and version pair), newest first. */
export const GET = apiRoute({ area: 'enrollments' }, async ({ searchParams }) => {
  const query = mismatchQuerySchema.parse(Object.fromEntries([...searchParams.entries()].filter(([key]) => key in mismatchQuerySchema.shape)));
  const mismatches = await recentMismatches(db(), query.partnerId, query.limit, { liveVersion: query.liveVersion, candidateVersion: query.candidateVersion });
  return { mismatches };
});
