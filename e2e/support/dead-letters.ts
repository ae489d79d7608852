import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from '@playwright/test';
import { inTransaction, withDb } from './db.ts';
import { DRILL_CACHE_SETTLE_MS } from './fault-drills.ts';

export const DRILLED_SUB_PROCESSOR = 'low-stock-replenishment';

export interface DrilledEntry {
  id: string;
  rowKey: string;
}

export interface DrillRun {
  /** Unique to this run: the error text the console filters on. */
  errorText: string;
  /** The error the dead letters carry, as the processor recorded it. */
  errorMessage: string;
  /** Dead-lettered and left as they are: replaying them applies them. */
  replayable: DrilledEntry[];
  /** Dead-lettered like the replayable ones; for the discard. */
  spare: DrilledEntry;
  /** Dead-lettered, then its row changed again and that newer version was processed: replay finds it superseded. */
  overtaken: DrilledEntry;
}

/** Demo-seed rows no other spec changes: every level of DRILL_STORE whose SKU starts with DRILL_PREFIX. */
export const DRILL_STORE = 'NY-102';
export const DRILL_PREFIX = 'PRD-';
const ROWS = [
  [DRILL_STORE, 'PRD-AVOCADO-EA'],
  [DRILL_STORE, 'PRD-BANANA-1LB'],
  [DRILL_STORE, 'PRD-SPINACH-5OZ'],
  [DRILL_STORE, 'PRD-STRAWB-1LB'],
] as const;

const rowKeyOf = ([storeId, sku]: readonly [string, string]) => JSON.stringify([storeId, sku]);

/**
 * Recovery by touch through the console, as an engineer does it: re-drives the levels of DRILL_STORE whose SKU
 * starts with `skuPrefix` (bumps updated_at only, so they re-emit through the whole pipeline without changing
 * stock), expecting `count` rows.
 */
export type Redrive = (skuPrefix: string, count: number) => Promise<void>;

/**
 * Produces real dead letters through the real pipeline: drill rows make the worker's low-stock-replenishment
 * fail (non-retryably) on four demo rows, the rows are re-driven, and relay → Kafka → processor → sub-processor
 * dead-letters each change. The drills are then removed. One row is re-driven again afterwards and processed
 * normally, which overtakes its dead letter.
 */
/** The error a drilled sub-processor's dead letters carry, as the processor records it. */
const drillErrorMessage = (errorText: string) => `FaultDrillError: fault drill: ${errorText}`;

export async function produceDrilledDeadLetters(redrive: Redrive, errorText: string): Promise<DrillRun> {
  const errorMessage = drillErrorMessage(errorText);
  return withDb(async (client) => {
    let entries: DrilledEntry[] = [];
    try {
      for (const row of ROWS) {
        await client.query(
          `INSERT INTO stream_fault_drills (sub_processor, table_name, row_key, error_message, created_by) VALUES ($1, 'inventory_levels', $2, $3, 'e2e')
           ON CONFLICT (sub_processor, table_name, row_key) DO UPDATE SET error_message = EXCLUDED.error_message`,
          [DRILLED_SUB_PROCESSOR, rowKeyOf(row), errorText],
        );
      }
      await sleep(DRILL_CACHE_SETTLE_MS);
      await redrive(DRILL_PREFIX, ROWS.length);

      await expect
        .poll(
          async () => {
            const { rows } = await client.query<{ id: string; row_key: string }>(
              'SELECT id::text AS id, row_key FROM dead_letters WHERE error_message = $1 AND sub_processor = $2 ORDER BY id',
              [errorMessage, DRILLED_SUB_PROCESSOR],
            );
            entries = rows.map((row) => ({ id: row.id, rowKey: row.row_key }));
            return entries.length;
          },
          { message: 'the drilled changes to reach the dead-letter queue', timeout: 45_000 },
        )
        .toBe(ROWS.length);
    } finally {
      await client.query('DELETE FROM stream_fault_drills WHERE error_message = $1', [errorText]);
    }

    const byKey = (row: readonly [string, string]) => {
      const entry = entries.find((candidate) => candidate.rowKey === rowKeyOf(row));
      if (!entry) throw new Error(`no dead letter for ${rowKeyOf(row)}`);
      return entry;
    };
    const overtakenRow = ROWS[2];
    const overtaken = byKey(overtakenRow);
    await sleep(DRILL_CACHE_SETTLE_MS);
    const since = new Date();
    await redrive(overtakenRow[1], 1);
    await expect
      .poll(
        async () => {
          const { rows } = await client.query<{ outcome: string }>(
            `SELECT outcome::text FROM change_outcomes WHERE table_name = 'inventory_levels' AND row_key = $1 AND sub_processor = $2 AND created_at >= $3
             ORDER BY id DESC LIMIT 1`,
            [overtaken.rowKey, DRILLED_SUB_PROCESSOR, since],
          );
          return rows[0]?.outcome ?? 'none yet';
        },
        { message: 'the newer version of the overtaken row to be handed to its stream workflow', timeout: 45_000 },
      )
      .toBe('signalled');

    return { errorText, errorMessage, replayable: [byKey(ROWS[0]), byKey(ROWS[1])], spare: byKey(ROWS[3]), overtaken };
  });
}

export async function deadLetterStates(ids: string[]): Promise<Record<string, { status: string; resolved_by: string | null }>> {
  return withDb(async (client) => {
    const { rows } = await client.query<{ id: string; status: string; resolved_by: string | null }>(
      'SELECT id::text AS id, status::text, resolved_by FROM dead_letters WHERE id = ANY($1::bigint[])',
      [ids],
    );
    return Object.fromEntries(rows.map(({ id, ...rest }) => [id, rest]));
  });
}

export async function auditActions(target: string): Promise<{ action: string; actor: string; actor_role: string }[]> {
  return withDb(async (client) => {
    const { rows } = await client.query<{ action: string; actor: string; actor_role: string }>(
      'SELECT action, actor, actor_role FROM audit_log WHERE target = $1 ORDER BY id',
      [target],
    );
    return rows;
  });
}

export interface NewDeadLetters {
  count?: number;
  /** Default: a topic of the test's own, so the entries' offsets collide with nothing. */
  topic?: string;
  payload?: string;
  subProcessor?: string;
  tableName?: string;
  errorMessage?: string;
  stage?: 'decode' | 'processor' | 'workflow';
}

/** Dead letters inserted directly (no pipeline), pending; by default one, for access checks. Removed by `removeDeadLetters`. */
export async function insertDeadLetters({
  count = 1,
  topic = `e2e-${randomUUID().slice(0, 8)}.inventory_levels`,
  payload = '{}',
  subProcessor = DRILLED_SUB_PROCESSOR,
  tableName = 'inventory_levels',
  errorMessage = 'e2e: access check',
  stage = 'processor',
}: NewDeadLetters = {}): Promise<string[]> {
  return withDb(async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO dead_letters (topic, partition, "offset", payload, headers, sub_processor, table_name, error_message, attempts, first_failed_at, last_failed_at, stage)
       SELECT $1, 0, n, $2, '{}'::jsonb, $3, $4, $5, 1, now(), now(), $6::"DeadLetterStage" FROM generate_series(1, $7::int) AS n
       RETURNING id::text AS id`,
      [topic, payload, subProcessor, tableName, errorMessage, stage, count],
    );
    return rows.map((row) => row.id);
  });
}

/**
 * Removes dead letters and the finished bulk operations that worked on them (their results and claims go with
 * them). An operation still running is left to finish: it skips entries that are gone.
 */
export async function removeDeadLetters(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await inTransaction(async (client) => {
    await client.query(
      `DELETE FROM dead_letter_bulk_ops WHERE status <> 'running' AND id IN (
         SELECT op_id FROM dead_letter_bulk_results WHERE dead_letter_id = ANY($1::bigint[])
         UNION SELECT op_id FROM dead_letter_bulk_claims WHERE dead_letter_id = ANY($1::bigint[]))`,
      [ids],
    );
    await client.query('DELETE FROM dead_letters WHERE id = ANY($1::bigint[])', [ids]);
  });
}

/** Removes what a drill run (`produceDrilledDeadLetters`) left: its dead letters, their bulk operations, and any drill row still there. */
export async function removeDrillRun(errorText: string): Promise<void> {
  await withDb((client) => client.query('DELETE FROM stream_fault_drills WHERE error_message = $1', [errorText]));
  const { rows } = await withDb((client) => client.query<{ id: string }>('SELECT id::text AS id FROM dead_letters WHERE error_message = $1', [drillErrorMessage(errorText)]));
  await removeDeadLetters(rows.map((row) => row.id));
}
