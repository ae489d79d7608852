import type { PrismaClient } from '../db/generated/client.ts';

/**
 * Stream messages queued in workflows, read from the data rather than from Temporal: a message with a `signalled`
 * change outcome whose effect is not in stream_applied yet and whose workflow has not given up on it (a workflow-stage
 * dead letter not replayed since; a replay re-signals it, and a failure after that reopens the same entry).
 *
 * Resolution is permanent (an applied message stays applied; a replay of a dead letter is a new, later outcome),
 * so a scan need not go back further than the previous sample's oldest queued message, or, with none queued,
 * than the previous sample itself. There is no fixed window: a message stuck for a day is still counted, with its
 * true age, until it is applied or dead-lettered or retention deletes its outcome. Healthy, each scan covers about
 * a minute of signals; while something is stuck it reaches back to it, so its cost grows with how long the stuck
 * message has waited (the page shows that red long before it matters). Only without a usable previous sample (the
 * table's first, one that did not measure the queue, or one dated further ahead than the commit margin) does the
 * scan go back to change_outcomes' retention horizon, once. Carrying the oldest forward was chosen over an index on
 * "signalled and not yet applied": that needs a resolved flag kept in step with stream_applied and dead_letters by
 * every writer, where this needs nothing new.
 */

/** Outcome rows carry their transaction's start time; one that commits up to this long after a sample is still seen. */
export const COMMIT_MARGIN_MS = 60 * 1000;

export interface StreamQueue {
  queued: number;
  /** When the oldest queued message was signalled; null when none is queued. */
  oldestAt: Date | null;
}

/** What the previous pipeline sample of the table found; `streamQueued` null when it did not measure it. */
export interface PreviousQueueSample {
  sampledAt: Date;
  streamQueued: number | null;
  streamQueuedOldestAt: Date | null;
}

/**
 * Where the scan must start to see every message still queued (see the module comment). `horizon` is
 * change_outcomes' retention horizon (null while retention has deleted nothing): older outcomes are gone or going,
 * so the scan never starts before it, and starts there when the previous sample cannot be trusted.
 */
export function queueScanFrom(previous: PreviousQueueSample | null, now: Date, horizon: Date | null): Date {
  const floor = horizon?.getTime() ?? 0;
  // A sample dated more than the margin ahead of now came from a clock that the margin does not cover.
  if (!previous || previous.streamQueued === null || previous.sampledAt.getTime() > now.getTime() + COMMIT_MARGIN_MS) return new Date(floor);
  let from = Math.min(previous.sampledAt.getTime(), now.getTime()) - COMMIT_MARGIN_MS;
  if (previous.streamQueuedOldestAt) from = Math.min(from, previous.streamQueuedOldestAt.getTime());
  return new Date(Math.max(floor, from));
}

/** The queued stream messages of a table's topic signalled since `from`; each counts once, queued since its latest signal. */
export async function readStreamQueue(db: PrismaClient, { table, topic, from }: { table: string; topic: string; from: Date }): Promise<StreamQueue> {
  const [row] = await db.$queryRaw<{ queued: number; oldest_at: Date | null }[]>`
    SELECT count(*)::int AS queued, min(q.signalled_at) AS oldest_at
    FROM (
      SELECT max(o.created_at) AS signalled_at
      FROM change_outcomes o
      WHERE o.outcome = 'signalled' AND o.created_at >= ${from} AND o.table_name = ${table} AND o.topic = ${topic}
        AND NOT EXISTS (
          SELECT 1 FROM stream_applied a
          WHERE a.sub_processor = o.sub_processor AND a.message_id = o.table_name || ':' || o.row_key || '@' || o.updated)
        AND NOT EXISTS (
          SELECT 1 FROM dead_letters d
          WHERE d.stage = 'workflow' AND d.status <> 'replayed' AND d.sub_processor = o.sub_processor
            AND d.table_name = o.table_name AND d.row_key = o.row_key AND d.updated = o.updated)
      GROUP BY o.sub_processor, o.row_key, o.updated
    ) q`;
  return { queued: row?.queued ?? 0, oldestAt: row?.oldest_at ?? null };
}
