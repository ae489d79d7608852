import { apiRoute } from '@/server/http/api-route.ts';
import type { DeadLetterReplayResponse } from '@/server/stream/dead-letter-answers.ts';
import { getDeadLetter } from '@/server/stream/dead-letter-query.ts';
import { replayDeadLetter } from '@/server/stream/dead-letter-replay.ts';
import { deadLetterIdSchema } from '@/server/stream/requests.ts';
import { actorOf, deadLetterDeps, deadLetterErrors } from '../../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/**
 * Re-runs the failed sub-processor for one pending entry (audited by replayDeadLetter). Answers the result
 * (`replayed`, `superseded`, or `pending` with the new error) and the entry as it now is.
 */
export const POST = apiRoute<{ id: string }>({ area: 'dead-letters', errors: deadLetterErrors }, async (ctx): Promise<DeadLetterReplayResponse> => {
  const id = deadLetterIdSchema.parse(ctx.params.id);
  await ctx.json();
  const deps = deadLetterDeps();
  const result = await replayDeadLetter(deps, id, actorOf(ctx.user));
  return { result, entry: await getDeadLetter(deps.db, id) };
});
