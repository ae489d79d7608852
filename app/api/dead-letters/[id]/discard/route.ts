import { apiRoute } from '@/server/http/api-route.ts';
import type { DeadLetterDiscardResponse } from '@/server/stream/dead-letter-answers.ts';
import { discardDeadLetter } from '@/server/stream/dead-letter-replay.ts';
import { deadLetterIdSchema, discardSchema } from '@/server/stream/requests.ts';
import { actorOf, deadLetterDeps, deadLetterErrors } from '../../_lib/deps.ts';

export const dynamic = 'force-dynamic';

/** Marks a pending entry discarded with the reason (audited by discardDeadLetter). */
export const POST = apiRoute<{ id: string }>({ area: 'dead-letters', errors: deadLetterErrors }, async (ctx): Promise<DeadLetterDiscardResponse> => {
  const id = deadLetterIdSchema.parse(ctx.params.id);
  const { reason } = discardSchema.parse(await ctx.json());
  return { entry: await discardDeadLetter(deadLetterDeps(), id, actorOf(ctx.user), reason) };
});
