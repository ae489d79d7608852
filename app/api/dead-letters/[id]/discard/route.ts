import { z } from 'zod';
import { deadLetterIdSchema } from '@/app/dead-letters/_lib/query.ts';
import { apiRoute } from '@/server/http/api-route.ts';
import { freeText } from '@/server/http/text-rules.ts';
import { discardDeadLetter } from '@/server/stream/dead-letter-replay.ts';
import { actorOf, deadLetterDeps, deadLetterErrors } from '../../_lib/deps.ts';

export const dynamic = 'force-dynamic';

const discardSchema = z.object({
  reason: z
    .string({ error: 'reason is required' })
    .pipe(freeText('reason', 500))
    .pipe(z.string().min(1, 'A reason is required to discard a dead letter; it goes into the audit log.')),
});

/** Marks a pending entry discarded with the reason (audited by discardDeadLetter). */
export const POST = apiRoute<{ id: string }>({ area: 'dead-letters', errors: deadLetterErrors }, async (ctx) => {
  const id = deadLetterIdSchema.parse(ctx.params.id);
  const { reason } = discardSchema.parse(await ctx.json());
  return { entry: await discardDeadLetter(deadLetterDeps(), id, actorOf(ctx.user), reason) };
});
