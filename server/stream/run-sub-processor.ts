import { setTimeout as sleep } from 'node:timers/promises';
import { Prisma, type ChangeOutcomeKind } from '../db/generated/client.ts';
import { hlcToMillis } from './envelope.ts';
import type { Change, ProcessContext, ProcessResult, SubProcessor } from './sub-processor.ts';
import type { ChangefeedTable, TableRows } from './tables.ts';
import { advanceSql, classify } from './watermarks.ts';

/** A sub-processor of any table, as the framework drives it. */
export type AnySubProcessor = SubProcessor<TableRows[ChangefeedTable]>;
export type AnyTableChange = Change<TableRows[ChangefeedTable]>;

/**
 * Which sub-processors see which table's changes. server/stream/registry.ts holds the real one; the
 * processor and replay take it as a parameter so tests can inject their own.
 */
export type SubProcessorRegistry = { readonly [T in ChangefeedTable]?: readonly SubProcessor<TableRows[T]>[] };

export function subProcessorsFor(registry: SubProcessorRegistry, table: ChangefeedTable): readonly AnySubProcessor[] {
  return registry[table] ?? [];
}

export type RunOutcome = 'applied' | 'ignored' | 'duplicate' | 'stale' | 'dead_lettered';

export interface RunOptions {
  /** Calls of `process`, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each backoff, so a long retry run keeps the Kafka consumer's group session alive. */
  heartbeat?: () => Promise<void>;
  /** The outcome kind recorded on success: replays record `replayed`. */
  appliedAs?: Extract<ChangeOutcomeKind, 'applied' | 'replayed'>;
  /** Injected in tests. */
  random?: () => number;
  delay?: (ms: number) => Promise<unknown>;
  now?: () => Date;
}

export interface RunResult {
  outcome: RunOutcome;
  workflowId?: string;
  detail?: string;
  /** Calls of `process` made (0 when it was not called). */
  attempts: number;
  /** The last failure, when the outcome is `dead_lettered`. */
  error?: unknown;
  /** Why it gave up: `onError` said `dead-letter`, or attempts ran out. */
  gaveUp?: 'non_retryable' | 'retries_exhausted';
  firstFailedAt?: Date;
  /** From the row's commit (the changefeed `updated` wall clock) to the recorded outcome. */
  latencyMs: number;
}

export const DEFAULT_RUN_OPTIONS = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5000 } as const;

/** `Name: message` of whatever was thrown, for logs, headers and the console. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.startsWith(`${error.name}:`) ? error.message : `${error.name}: ${error.message}`;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}

/** Exponential backoff with "equal jitter": half the step is fixed, half random, so retries spread out. */
export function backoffDelay(attempt: number, { baseDelayMs, maxDelayMs }: { baseDelayMs: number; maxDelayMs: number }, random = Math.random): number {
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

const INT4_MAX = 2_147_483_647;

/**
 * Runs one change through one sub-processor, with everything the framework promises around it:
 *
 * 1. Duplicate and stale filtering against the (sub-processor, table, key) watermark.
 * 2. `accepts() === false` → `ignored`, and the watermark still advances. The watermark means "the newest
 *    version this sub-processor has handled", and deciding there is nothing to do is handling it: an older,
 *    redelivered version must not be acted on after a newer one was looked at. It never blocks later
 *    changes, since those carry a newer `updated`.
 * 3. `process` with exponential backoff and jitter, asking `onError` after each failure.
 * 4. On success the watermark advances in the same statement as the outcome row. On giving up it does not,
 *    so a replay can still apply the change; the caller dead-letters it.
 *
 * Records one `change_outcomes` row per call. Throws only if the database does (the caller must then retry
 * the message, not skip it).
 */
export async function runSubProcessor(sp: AnySubProcessor, change: AnyTableChange, ctx: ProcessContext, options: RunOptions = {}): Promise<RunResult> {
  const { maxAttempts, baseDelayMs, maxDelayMs } = { ...DEFAULT_RUN_OPTIONS, ...definedOnly(options) };
  const now = options.now ?? (() => new Date());
  const delay = options.delay ?? sleep;
  const log = ctx.log.child({ subProcessor: sp.name, table: change.table, rowKey: change.rowKey, updated: change.updatedText, ...change.source });

  /** Writes the outcome row and, for a handled change, advances the watermark in the same statement. */
  const settle = async (outcome: ChangeOutcomeKind, extra: { workflowId?: string; detail?: string } = {}) => {
    const latencyMs = Math.max(0, Math.min(INT4_MAX, now().getTime() - hlcToMillis(change.updated)));
    const { table, rowKey, updatedText, source } = change;
    const insertOutcome = Prisma.sql`
      INSERT INTO change_outcomes (table_name, row_key, updated, topic, partition, "offset", sub_processor, outcome, workflow_id, detail, latency_ms)
      VALUES (${table}, ${rowKey}, ${updatedText}, ${source.topic}, ${source.partition}, ${BigInt(source.offset)}, ${sp.name},
              ${outcome}::"ChangeOutcomeKind", ${extra.workflowId ?? null}, ${extra.detail?.slice(0, 2000) ?? null}, ${latencyMs})`;
    const handled = outcome === 'applied' || outcome === 'replayed' || outcome === 'ignored';
    await ctx.db.$executeRaw(handled ? Prisma.sql`WITH watermark AS (${advanceSql(sp, change)}) ${insertOutcome}` : insertOutcome);
    return latencyMs;
  };

  const freshness = await classify(ctx.db, sp, change);
  if (freshness !== 'new') {
    log.debug({ freshness }, 'dropped');
    return { outcome: freshness, attempts: 0, latencyMs: await settle(freshness) };
  }
  let accepted: boolean;
  try {
    accepted = sp.accepts(change);
  } catch (error) {
    // A deterministic bug: retrying cannot help, and throwing would block the partition forever.
    const detail = `accepts() threw: ${describeError(error)}`;
    log.error({ err: error }, 'accepts() threw; dead-lettering');
    const firstFailedAt = now();
    return { outcome: 'dead_lettered', attempts: 0, error, gaveUp: 'non_retryable', firstFailedAt, detail, latencyMs: await settle('dead_lettered', { detail }) };
  }
  if (!accepted) {
    return { outcome: 'ignored', attempts: 0, latencyMs: await settle('ignored', { detail: 'not accepted' }) };
  }

  let firstFailedAt: Date | undefined;
  for (let attempt = 1; ; attempt++) {
    let result: ProcessResult;
    try {
      result = await sp.process(change, { ...ctx, log });
    } catch (error) {
      firstFailedAt ??= now();
      const decision = decide(sp, change, error, attempt, log);
      const gaveUp = decision === 'dead-letter' ? 'non_retryable' : attempt >= maxAttempts ? 'retries_exhausted' : undefined;
      if (gaveUp) {
        const detail = describeError(error);
        log.error({ err: error, attempt, gaveUp }, 'sub-processor gave up; dead-lettering');
        const latencyMs = await settle('dead_lettered', { detail });
        return { outcome: 'dead_lettered', attempts: attempt, error, gaveUp, firstFailedAt, detail, latencyMs };
      }
      const wait = backoffDelay(attempt, { baseDelayMs, maxDelayMs }, options.random);
      log.warn({ err: error, attempt, retryInMs: wait }, 'sub-processor failed; retrying');
      await options.heartbeat?.();
      await delay(wait);
      continue;
    }
    const outcome = result.outcome === 'applied' ? (options.appliedAs ?? 'applied') : 'ignored';
    const extra = { workflowId: result.workflowId, detail: result.detail };
    const latencyMs = await settle(outcome, extra);
    return { outcome: result.outcome, ...definedOnly(extra), attempts: attempt, ...(firstFailedAt ? { firstFailedAt } : {}), latencyMs };
  }
}

function decide(sp: AnySubProcessor, change: AnyTableChange, error: unknown, attempt: number, log: ProcessContext['log']) {
  try {
    return sp.onError(change, error, attempt);
  } catch (classifyError) {
    // A broken classifier must not lose the change: fall back to the framework's retry limit.
    log.error({ err: classifyError }, 'onError threw; retrying');
    return 'retry';
  }
}

function definedOnly<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
