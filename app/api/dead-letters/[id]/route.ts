import { db } from '@/server/db/client.ts';
import { apiRoute, HttpError } from '@/server/http/api-route.ts';
import type { DeadLetterDetailResponse } from '@/server/stream/dead-letter-answers.ts';
import { getDeadLetter } from '@/server/stream/dead-letter-query.ts';
import { deadLetterIdSchema } from '@/server/stream/requests.ts';
import { deadLetterErrors } from '../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** One dead letter in full: payload, headers, error and stack, attempts, origin and resolution. */
export const GET = apiRoute<{ id: string }>({ area: 'dead-letters', errors: deadLetterErrors }, async ({ params }): Promise<DeadLetterDetailResponse> => {
  const id = deadLetterIdSchema.parse(params.id);
  const entry = await getDeadLetter(db(), id);
  if (!entry) throw new HttpError(404, `Dead letter ${id} does not exist.`);
  return entry;
});
