import { setTimeout as sleep } from 'node:timers/promises';
import { withDb } from './db.ts';

/**
 * The worker reads stream_fault_drills at most once a second (server/stream/fault-drills.ts,
 * FAULT_DRILL_CACHE_MS): a drill row added or deleted takes effect only after that, so a fixture waits
 * it out before changing rows. It cannot observe the worker's cache, so this one wait is a fixed one.
 */
export const DRILL_CACHE_SETTLE_MS = 1500;

/** While it exists, `subProcessor` fails every change of the row with `errorMessage` (the worker runs with STREAM_FAULT_DRILLS=on). */
export interface FaultDrill {
  subProcessor: string;
  tableName: string;
  rowKey: string;
  errorMessage: string;
}

/** Adds the drill and waits until the worker sees it. */
export async function addFaultDrill({ subProcessor, tableName, rowKey, errorMessage }: FaultDrill): Promise<void> {
  await withDb((client) =>
    client.query("INSERT INTO stream_fault_drills (sub_processor, table_name, row_key, error_message, created_by) VALUES ($1, $2, $3, $4, 'e2e')", [
      subProcessor,
      tableName,
      rowKey,
      errorMessage,
    ]),
  );
  await sleep(DRILL_CACHE_SETTLE_MS);
}

/** Removes the drills and the dead letters they caused, then waits until the worker no longer fails those rows. */
export async function removeFaultDrills(drills: FaultDrill[]): Promise<void> {
  if (drills.length === 0) return;
  await withDb(async (client) => {
    for (const { subProcessor, tableName, rowKey, errorMessage } of drills) {
      await client.query('DELETE FROM stream_fault_drills WHERE sub_processor = $1 AND table_name = $2 AND row_key = $3', [subProcessor, tableName, rowKey]);
      await client.query('DELETE FROM dead_letters WHERE sub_processor = $1 AND table_name = $2 AND row_key = $3 AND strpos(error_message, $4) > 0', [
        subProcessor,
        tableName,
        rowKey,
        errorMessage,
      ]);
    }
  });
  await sleep(DRILL_CACHE_SETTLE_MS);
}
