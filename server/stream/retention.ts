import type { PrismaClient } from '../db/generated/client.ts';
import type { RetentionPlanStep } from '../temporal/contract.ts';

/**
 * Retention of the stream's bookkeeping: rows older than their table's retention are deleted in bounded batches
 * (worker/workflows/retention.ts, on the `stream-retention` schedule). Before a table is trimmed its horizon
 * (retention_horizons.expired_before) moves forward, never back, so the trace of a change older than the horizon
 * reads "expired" rather than "unprocessed", even while the delete is under way.
 *
 * stream_applied goes with change_outcomes (same days): a signalled outcome is never kept without the effect that
 * settled it, which would make the change look queued again. Dead letters go only once replayed, superseded or
 * discarded, counted from their resolution; a pending one is kept however old.
 */

export const RETAINED_TABLES = ['change_outcomes', 'stream_applied', 'pipeline_samples', 'dead_letters'] as const satisfies readonly RetentionPlanStep['table'][];
export type RetainedTable = (typeof RETAINED_TABLES)[number];

export interface RetentionDays {
  changeOutcomes: number;
  pipelineSamples: number;
  deadLetters: number;
}

/** One table's cutoff (ISO `before`: older rows are deleted); the workflow carries it, so its shape is in the contract. */
export type RetentionStep = RetentionPlanStep & { table: RetainedTable };

const DAY_MS = 24 * 60 * 60 * 1000;

/** Each table's cutoff as of `now`. */
export function retentionPlan(days: RetentionDays, now: Date): RetentionStep[] {
  const step = (table: RetainedTable, retainDays: number): RetentionStep => ({ table, before: new Date(now.getTime() - retainDays * DAY_MS).toISOString(), retainDays });
  return [
    step('change_outcomes', days.changeOutcomes),
    step('stream_applied', days.changeOutcomes),
    step('pipeline_samples', days.pipelineSamples),
    step('dead_letters', days.deadLetters),
  ];
}

/** Moves the table's horizon forward to `before` (never back); answers the horizon now in force. */
export async function advanceHorizon(db: PrismaClient, { table, before, retainDays }: RetentionStep): Promise<Date> {
  const [row] = await db.$queryRaw<{ expired_before: Date }[]>`
    INSERT INTO retention_horizons (table_name, expired_before, retain_days, updated_at)
    VALUES (${table}, ${new Date(before)}, ${retainDays}, now())
    ON CONFLICT (table_name) DO UPDATE
      SET expired_before = greatest(retention_horizons.expired_before, excluded.expired_before),
          retain_days = excluded.retain_days, updated_at = now()
    RETURNING expired_before`;
  if (!row) throw new Error(`the retention horizon of ${table} was not written`);
  return row.expired_before;
}

/** Deletes at most `limit` rows of `table` older than `before` (each by its own time index); answers how many. */
export async function deleteExpiredBatch(db: PrismaClient, { table, before, limit }: { table: RetainedTable; before: string; limit: number }): Promise<number> {
  const cutoff = new Date(before);
  switch (table) {
    case 'change_outcomes':
      return db.$executeRaw`
        DELETE FROM change_outcomes WHERE id IN (
          SELECT id FROM change_outcomes WHERE created_at < ${cutoff} ORDER BY created_at LIMIT ${limit})`;
    case 'stream_applied':
      return db.$executeRaw`
        DELETE FROM stream_applied WHERE (sub_processor, message_id) IN (
          SELECT sub_processor, message_id FROM stream_applied WHERE applied_at < ${cutoff} ORDER BY applied_at LIMIT ${limit})`;
    case 'pipeline_samples':
      return db.$executeRaw`
        DELETE FROM pipeline_samples WHERE id IN (
          SELECT id FROM pipeline_samples WHERE sampled_at < ${cutoff} ORDER BY sampled_at LIMIT ${limit})`;
    case 'dead_letters':
      // Resolved before the cutoff implies created before it: the (status, created_at) index finds them.
      return db.$executeRaw`
        DELETE FROM dead_letters WHERE id IN (
          SELECT id FROM dead_letters
          WHERE status IN ('replayed', 'superseded', 'discarded') AND created_at < ${cutoff} AND coalesce(resolved_at, created_at) < ${cutoff}
          ORDER BY created_at LIMIT ${limit})`;
  }
}

export interface RetentionHorizon {
  expiredBefore: Date;
  retainDays: number;
}

/** A table's horizon, or null while nothing of it has been deleted by retention. */
export async function readHorizon(db: PrismaClient, table: RetainedTable): Promise<RetentionHorizon | null> {
  const [row] = await db.$queryRaw<{ expired_before: Date; retain_days: number }[]>`
    SELECT expired_before, retain_days FROM retention_horizons WHERE table_name = ${table}`;
  return row ? { expiredBefore: row.expired_before, retainDays: row.retain_days } : null;
}

/** What a trace says of a change older than the horizon, whose outcomes are gone. */
export function expiredNotice(horizon: RetentionHorizon): string {
  return `Trace expired: outcomes older than ${horizon.retainDays} day${horizon.retainDays === 1 ? '' : 's'} are deleted (everything before ${horizon.expiredBefore.toISOString()}).`;
}
