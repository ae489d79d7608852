import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { toSummary, type DeadLetterListResponse } from '@/server/stream/dead-letter-answers.ts';
import { listDeadLetters } from '@/server/stream/dead-letter-query.ts';
import { deadLetterListSchema, parseDeadLetterQuery, toFilter } from '@/server/stream/requests.ts';
import { deadLetterErrors } from './_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** A page of dead letters, newest first: filter in the query string, `cursor` from the previous page's `nextCursor`. */
export const GET = apiRoute({ area: 'dead-letters', errors: deadLetterErrors }, async ({ searchParams }): Promise<DeadLetterListResponse> => {
  const query = parseDeadLetterQuery(searchParams);
  const page = deadLetterListSchema.parse({ cursor: searchParams.get('cursor') ?? undefined, limit: searchParams.get('limit') ?? undefined });
  const result = await listDeadLetters(db(), { ...toFilter(query), ...page });
  return { items: result.items.map(toSummary), nextCursor: result.nextCursor };
});
