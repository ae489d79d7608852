import { parseDeadLetterQuery } from '@/app/dead-letters/_lib/query.ts';
import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { countDeadLetters } from '@/server/stream/dead-letter-query.ts';
import { deadLetterErrors, toFilter } from '../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** How many entries match the filter. */
export const GET = apiRoute({ area: 'dead-letters', errors: deadLetterErrors }, async ({ searchParams }) => {
  const query = parseDeadLetterQuery(searchParams);
  return { count: await countDeadLetters(db(), toFilter(query)) };
});
