import type { PrismaClient } from '../db/generated/client.ts';

/**
 * Stream messages queued in workflows, read from the data rather than from Temporal: a message with a `signalled`
 * change outcome whose effect is not in stream_applied yet and whose workflow has not given up on it (a workflow-stage
 * dead letter not replayed since; a replay re-signals it, and a failure after that reopens the same entry).
 *
 * The queued set is carried from one sample to the next in stream_queue_pending, per table and topic, with the time
 * of the sample that last brought it up to date in stream_queue_scans. Each sample (one transaction, samplers of the
 * same table and topic taking turns):
 *  1. adds the queued messages among the outcomes signalled since the previous sample, less the commit margin (a
 *     message signalled again, a retried batch or a dead letter's replay, is queued since its latest signal);
 *  2. deletes the carried ones now resolved: applied (stream_applied, by primary key), given up on (an open
 *     workflow-stage dead letter), or whose signal retention has deleted or is deleting (below change_outcomes'
 *     horizon, or its outcome row gone); this is also where the table is pruned, so retention has nothing to do here;
 *  3. counts them and takes the oldest's signal time.
 * So a message stuck for a day is still counted, with its true age, until it is applied or dead-lettered or
 * retention deletes its outcome, and a sample costs the signals since the previous one plus the messages queued now,
 * however long the oldest has waited. Only without a usable previous scan (the topic's first, or one dated further
 * ahead than the commit margin) does step 1 go back to change_outcomes' retention horizon, once, seeding the set.
 * Every statement is idempotent (upsert keeping the latest signal, deletes by predicate), so a scan repeated or
 * overlapping another replica's leaves the same set. Resolution is permanent (an applied message stays applied; a
 * replay is a new, later signal), which is what makes deleting a resolved message for good correct.
 */

/** Outcome rows carry their transaction's start time; one that commits up to this long after a sample is still seen. */
export const COMMIT_MARGIN_MS = 60 * 1000;

/** Interactive transactions end at Prisma's 5 s by default; a topic's first sample scans back to the horizon. */
const SAMPLE_TIMEOUT_MS = 10 * 60 * 1000;

export interface StreamQueue {
  queued: number;
  /** When the oldest queued message was signalled; null when none is queued. */
  oldestAt: Date | null;
}

/** The previous sample that brought the topic's carried set up to date (stream_queue_scans). */
export interface PreviousQueueScan {
  scannedAt: Date;
}

/**
 * Where this sample's scan of new signals starts (see the module comment): a commit margin before the previous scan,
 * whatever is still queued from before it (that is carried). `horizon` is change_outcomes' retention horizon (null
 * while retention has deleted nothing): older outcomes are gone or going, so the scan never starts before it, and
 * starts there when there is no previous scan to trust.
 */
export function queueScanFrom(previous: PreviousQueueScan | null, now: Date, horizon: Date | null): Date {
  const floor = horizon?.getTime() ?? 0;
  // A scan dated more than the margin ahead of now came from a clock that the margin does not cover.
  if (!previous || previous.scannedAt.getTime() > now.getTime() + COMMIT_MARGIN_MS) return new Date(floor);
  return new Date(Math.max(floor, Math.min(previous.scannedAt.getTime(), now.getTime()) - COMMIT_MARGIN_MS));
}

/** Brings the carried queue of a table's topic up to date as of `now` and answers it; each message counts once. */
export async function sampleStreamQueue(
  db: PrismaClient,
  { table, topic, now, horizon }: { table: string; topic: string; now: Date; horizon: Date | null },
): Promise<StreamQueue> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('stream_queue_pending'), hashtext(${table} || ' ' || ${topic}))`;
      const [scan] = await tx.$queryRaw<{ scanned_at: Date }[]>`
        SELECT scanned_at FROM stream_queue_scans WHERE table_name = ${table} AND topic = ${topic}`;
      const from = queueScanFrom(scan ? { scannedAt: scan.scanned_at } : null, now, horizon);

      // 1. The queued among the new signals.
      await tx.$executeRaw`
        INSERT INTO stream_queue_pending (table_name, topic, sub_processor, row_key, updated, signalled_at)
        SELECT o.table_name, o.topic, o.sub_processor, o.row_key, o.updated, max(o.created_at)
        FROM change_outcomes o
        WHERE o.outcome = 'signalled' AND o.created_at >= ${from} AND o.table_name = ${table} AND o.topic = ${topic}
          AND NOT EXISTS (
            SELECT 1 FROM stream_applied a
            WHERE a.sub_processor = o.sub_processor AND a.message_id = o.table_name || ':' || o.row_key || '@' || o.updated)
          AND NOT EXISTS (
            SELECT 1 FROM dead_letters d
            WHERE d.stage = 'workflow' AND d.status <> 'replayed' AND d.sub_processor = o.sub_processor
              AND d.table_name = o.table_name AND d.row_key = o.row_key AND d.updated = o.updated)
        GROUP BY o.table_name, o.topic, o.sub_processor, o.row_key, o.updated
        ORDER BY o.sub_processor, o.row_key, o.updated
        ON CONFLICT (table_name, topic, sub_processor, row_key, updated) DO UPDATE SET signalled_at = excluded.signalled_at
          WHERE stream_queue_pending.signalled_at < excluded.signalled_at`;

      // 2. The carried ones resolved since, or whose signal retention took.
      await tx.$executeRaw`
        DELETE FROM stream_queue_pending p
        WHERE p.table_name = ${table} AND p.topic = ${topic}
          AND (p.signalled_at < ${new Date(horizon?.getTime() ?? 0)}
            OR EXISTS (
              SELECT 1 FROM stream_applied a
              WHERE a.sub_processor = p.sub_processor AND a.message_id = p.table_name || ':' || p.row_key || '@' || p.updated)
            OR EXISTS (
              SELECT 1 FROM dead_letters d
              WHERE d.stage = 'workflow' AND d.status <> 'replayed' AND d.sub_processor = p.sub_processor
                AND d.table_name = p.table_name AND d.row_key = p.row_key AND d.updated = p.updated)
            OR NOT EXISTS (
              SELECT 1 FROM change_outcomes o
              WHERE o.table_name = p.table_name AND o.row_key = p.row_key AND o.created_at = p.signalled_at
                AND o.topic = p.topic AND o.sub_processor = p.sub_processor AND o.updated = p.updated AND o.outcome = 'signalled'))`;

      await tx.$executeRaw`
        INSERT INTO stream_queue_scans (table_name, topic, scanned_at) VALUES (${table}, ${topic}, ${now})
        ON CONFLICT (table_name, topic) DO UPDATE SET scanned_at = excluded.scanned_at`;

      // 3. What is queued now.
      const [row] = await tx.$queryRaw<{ queued: number; oldest_at: Date | null }[]>`
        SELECT count(*)::int AS queued, min(signalled_at) AS oldest_at
        FROM stream_queue_pending WHERE table_name = ${table} AND topic = ${topic}`;
      return { queued: row?.queued ?? 0, oldestAt: row?.oldest_at ?? null };
    },
    { timeout: SAMPLE_TIMEOUT_MS },
  );
}
