import type { PrismaClient } from '../../server/db/generated/client.ts';
import { env } from '../../server/env.ts';
import { advanceHorizon, deleteExpiredBatch, retentionPlan, type RetainedTable, type RetentionDays, type RetentionStep } from '../../server/stream/retention.ts';

export interface RetentionDeps {
  db: PrismaClient;
  /** Defaults to the worker's RETENTION_* settings, read at each run. */
  days?: RetentionDays;
}

function configuredDays(): RetentionDays {
  const { RETENTION_CHANGE_OUTCOMES_DAYS, RETENTION_PIPELINE_SAMPLES_DAYS, RETENTION_DEAD_LETTERS_DAYS } = env();
  return { changeOutcomes: RETENTION_CHANGE_OUTCOMES_DAYS, pipelineSamples: RETENTION_PIPELINE_SAMPLES_DAYS, deadLetters: RETENTION_DEAD_LETTERS_DAYS };
}

export function createRetentionActivities({ db, days }: RetentionDeps) {
  return {
    /** Each table's cutoff, by the database's clock (the one its rows were stamped with). */
    async planRetention(): Promise<RetentionStep[]> {
      const [row] = await db.$queryRaw<{ now: Date }[]>`SELECT now() AS now`;
      if (!row) throw new Error('the database did not answer now()');
      return retentionPlan(days ?? configuredDays(), row.now);
    },
    async advanceRetentionHorizon(step: RetentionStep): Promise<string> {
      return (await advanceHorizon(db, step)).toISOString();
    },
    async deleteExpiredRows(batch: { table: RetainedTable; before: string; limit: number }): Promise<number> {
      return deleteExpiredBatch(db, batch);
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
