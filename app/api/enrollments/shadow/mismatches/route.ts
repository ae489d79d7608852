import { mismatchQuerySchema } from '@/server/card-link/requests.ts';
import { recentMismatches, type MismatchesResponse } from '@/server/card-link/shadow.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';

export const dynamic = 'force-dynamic';

/** The latest shadow mismatches of one partner (and version pair), newest first. */
export const GET = apiRoute({ area: 'enrollments' }, async ({ searchParams }): Promise<MismatchesResponse> => {
  const query = mismatchQuerySchema.parse(Object.fromEntries([...searchParams.entries()].filter(([key]) => key in mismatchQuerySchema.shape)));
  const mismatches = await recentMismatches(db(), query.partnerId, query.limit, { liveVersion: query.liveVersion, candidateVersion: query.candidateVersion });
  return { mismatches };
});
