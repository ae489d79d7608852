import { z } from 'zod';
import { deadLetterFilterSchema, deadLetterIdSchema } from '@/app/dead-letters/_lib/query.ts';
import { apiRoute, HttpError } from '@/server/http/api-route.ts';
import { BULK_REPLAY_MAX, countDeadLetters, replayDeadLetters, type DeadLetterFilter } from '@/server/stream/dead-letters.ts';
import { describeError } from '@/server/stream/run-sub-processor.ts';
import type { BulkReplayEvent } from '@/app/dead-letters/_components/types.ts';
import { actorOf, deadLetterDeps, deadLetterErrors } from '../_lib/deps.ts';

export const dynamic = 'force-dynamic';

const bulkSchema = z
  .object({
    ids: z
      .array(deadLetterIdSchema)
      .min(1, 'Select at least one dead letter to replay.')
      .max(BULK_REPLAY_MAX, `At most ${BULK_REPLAY_MAX} entries can be replayed at once; select fewer, or replay by filter (which takes the oldest ${BULK_REPLAY_MAX}).`)
      .optional(),
    // Strict keys: a misspelt filter field would otherwise be dropped, and the empty filter replays every pending entry.
    filter: z
      .strictObject(
        { topic: z.unknown(), subProcessor: z.unknown(), errorText: z.unknown(), from: z.unknown(), to: z.unknown() },
        {
          error: (issue) =>
            issue.code === 'unrecognized_keys'
              ? `unknown filter field ${issue.keys.join(', ')}: the filter takes topic, subProcessor, errorText, from and to`
              : 'filter must be an object',
        },
      )
      .partial()
      .pipe(deadLetterFilterSchema)
      .optional(),
  })
  .refine((body) => (body.ids === undefined) !== (body.filter === undefined), {
    message: 'Send either { "ids": [...] } or { "filter": { topic?, subProcessor?, errorText?, from?, to? } }.',
  });

/**
 * Bulk replay of the selected pending entries (`ids`), or of every pending entry matching `filter`, oldest
 * first and at most BULK_REPLAY_MAX per run. Streams progress as NDJSON, one BulkReplayEvent per line: start, one progress per entry, then done (or error). The replay runs to the end even if
 * the client goes away (it is not tied to the request); every entry and the run are audited by the domain.
 */
export const POST = apiRoute({ area: 'dead-letters', errors: deadLetterErrors }, async (ctx) => {
  const body = bulkSchema.parse(await ctx.json());
  const deps = deadLetterDeps();
  const actor = actorOf(ctx.user);

  let selection: DeadLetterFilter | { ids: string[] };
  let matching: number;
  if (body.ids) {
    selection = { ids: body.ids };
    matching = new Set(body.ids).size;
  } else {
    const filter = body.filter ?? {};
    selection = { ...filter, limit: BULK_REPLAY_MAX };
    matching = await countDeadLetters(deps.db, { ...filter, status: 'pending' });
    if (matching === 0) throw new HttpError(409, 'No pending dead letters match this filter; there is nothing to replay.');
  }

  const encoder = new TextEncoder();
  let open = true;
  let push: (event: BulkReplayEvent) => void = () => undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (event) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
          if (event.type === 'done' || event.type === 'error') {
            open = false;
            controller.close();
          }
        } catch {
          open = false;
        }
      };
    },
    cancel() {
      // The browser went away: stop writing, but let the replay finish (see below).
      open = false;
    },
  });

  // Deliberately not awaited and not given request.signal: the run outlives a closed tab.
  void replayDeadLetters(
    deps,
    selection,
    actor,
    ({ done, total, last }) => push({ type: 'progress', done, total, id: last.id, result: last.result }),
    { onStart: (ids) => push({ type: 'start', total: ids.length, matching: Math.max(matching, ids.length), capped: matching > ids.length, max: BULK_REPLAY_MAX }) },
  ).then(
    (result) => push({ type: 'done', total: result.total, counts: result.counts, aborted: result.aborted }),
    (err: unknown) => {
      deps.log.error({ err, actor: actor.id }, 'bulk replay failed');
      push({ type: 'error', error: `The bulk replay stopped: ${describeError(err)}` });
    },
  );

  return new Response(stream, {
    headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  });
});
