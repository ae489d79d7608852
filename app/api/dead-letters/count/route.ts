import { db } from '@/server/db/client.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import type { DeadLetterCountResponse } from '@/server/stream/dead-letter-answers.ts';
import { countDeadLetters } from '@/server/stream/dead-letter-query.ts';
import { parseDeadLetterQuery, toFilter } from '@/server/stream/requests.ts';
import { deadLetterErrors } from '../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** How many entries match the filter. */
export const GET = apiRoute({ area: 'dead-letters', errors: deadLetterErrors }, async ({ searchParams }): Promise<DeadLetterCountResponse> => {
  const query = parseDeadLetterQuery(searchParams);
  return { count: await countDeadLetters(db(), toFilter(query)) };
});
