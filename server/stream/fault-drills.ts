import type { Db } from './watermarks.ts';
import type { AnySubProcessor, SubProcessorRegistry } from './run-sub-processor.ts';
import type { ErrorDecision } from './sub-processor.ts';
import type { ChangefeedTable } from './tables.ts';

/**
 * Thrown by a drilled sub-processor. Never retried: the change is dead-lettered at once, like any change
 * that cannot succeed on a later attempt.
 */
export class FaultDrillError extends Error {
  override name = 'FaultDrillError';
}

export interface FaultDrillRow {
  subProcessor: string;
  tableName: string;
  rowKey: string;
  errorMessage: string;
}

/** Answers whether (sub-processor, table, row key) is drilled, and with which error message. */
export interface FaultDrillSource {
  match(subProcessor: string, table: ChangefeedTable, rowKey: string): Promise<string | undefined>;
}

const drillKey = (subProcessor: string, table: string, rowKey: string) => `${subProcessor}\u0000${table}\u0000${rowKey}`;

export const FAULT_DRILL_CACHE_MS = 1000;

/**
 * The stream_fault_drills rows, read at most once per `ttlMs` however many changes flow (concurrent
 * lookups share one read), so a drill costs a map lookup per change. A new or deleted drill row takes effect
 * within `ttlMs`.
 */
export function cachedFaultDrills(
  load: () => Promise<FaultDrillRow[]>,
  { ttlMs = FAULT_DRILL_CACHE_MS, now = Date.now }: { ttlMs?: number; now?: () => number } = {},
): FaultDrillSource {
  let drills: Map<string, string> | undefined;
  let loadedAt = -Infinity;
  let loading: Promise<Map<string, string>> | undefined;

  const current = async (): Promise<Map<string, string>> => {
    if (drills && now() - loadedAt < ttlMs) return drills;
    loading ??= load()
      .then((rows) => {
        drills = new Map(rows.map((row) => [drillKey(row.subProcessor, row.tableName, row.rowKey), row.errorMessage]));
        loadedAt = now();
        return drills;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  return {
    async match(subProcessor, table, rowKey) {
      return (await current()).get(drillKey(subProcessor, table, rowKey));
    },
  };
}

/** Drills as stored in the database. */
export function databaseFaultDrills(db: Db, options?: { ttlMs?: number }): FaultDrillSource {
  return cachedFaultDrills(
    () =>
      db.$queryRaw<FaultDrillRow[]>`
        SELECT sub_processor AS "subProcessor", table_name AS "tableName", row_key AS "rowKey", error_message AS "errorMessage"
        FROM stream_fault_drills`,
    options,
  );
}

/**
 * Wraps one sub-processor so that `process` throws a FaultDrillError for drilled row keys, and `onError`
 * dead-letters that error at once. Everything else (name, accepts, other errors) is the sub-processor's own,
 * so watermarks, dead letters and replays see the real sub-processor.
 */
export function withFaultDrill(sp: AnySubProcessor, drills: FaultDrillSource): AnySubProcessor {
  return {
    name: sp.name,
    accepts: (change) => sp.accepts(change),
    async process(change, ctx) {
      const message = await drills.match(sp.name, change.table, change.rowKey);
      if (message !== undefined) throw new FaultDrillError(`fault drill: ${message}`);
      return sp.process(change, ctx);
    },
    onError(change, error, attempt): ErrorDecision {
      return error instanceof FaultDrillError ? 'dead-letter' : sp.onError(change, error, attempt);
    },
  };
}

/**
 * The registry with every sub-processor drill-aware. Only the worker's stream uses this, and only when
 * STREAM_FAULT_DRILLS=on; the console's replay keeps the plain registry, so a replay after the drill row
 * is deleted (or even while it exists) runs the real sub-processor.
 */
export function withFaultDrills(registry: SubProcessorRegistry, drills: FaultDrillSource): SubProcessorRegistry {
  const wrapped: Partial<Record<ChangefeedTable, readonly AnySubProcessor[]>> = {};
  for (const table of Object.keys(registry) as ChangefeedTable[]) {
    const sps: readonly AnySubProcessor[] | undefined = registry[table];
    if (sps) wrapped[table] = sps.map((sp) => withFaultDrill(sp, drills));
  }
  return wrapped;
}
