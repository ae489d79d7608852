import type { PrismaClient } from '../db/generated/client.ts';

/**
 * Stream messages queued in workflows, read from the data rather than from Temporal: a message with a `signalled`
 * change outcome whose effect is not in stream_applied yet and whose workflow has not given up on it (a workflow-stage
 * dead letter not replayed since; a replay re-signals it, and a failure after that reopens the same entry).
 *
 * Resolution is permanent (an applied message stays applied; a replay of a dead letter is a new, later outcome),
 * so a scan need not go back further than the previous sample's oldest queued message, or, with none queued,
 * than the previous sample itself. Healthy, each scan covers about a minute of signals; only while something is
 * stuck does it reach back to it, and never further than the window.
 */

/** Messages signalled longer ago than this are not looked at (the pipeline page says so). */
export const STREAM_QUEUE_WINDOW_MS = 60 * 60 * 1000;
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

/** Where the scan must start to see every message still queued (see the module comment). */
export function queueScanFrom(previous: PreviousQueueSample | null, now: Date, windowMs: number = STREAM_QUEUE_WINDOW_MS): Date {
  const floor = now.getTime() - windowMs;
  if (!previous || previous.streamQueued === null || previous.sampledAt.getTime() > now.getTime()) return new Date(floor);
  let from = previous.sampledAt.getTime() - COMMIT_MARGIN_MS;
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
