import { setTimeout as sleep } from 'node:timers/promises';
import type { ChangeOutcomeKind } from '../db/generated/client.ts';
import { hlcToMillis, type Hlc } from './envelope.ts';
import type { SendStreamSignal } from './signal-coalescer.ts';
import { isTemporalUnavailable, signalStream, streamMessageFor } from './stream-signal.ts';
import type { Change, ProcessContext, StreamEnqueue, SubProcessor } from './sub-processor.ts';
import type { ChangefeedTable, TableRows } from './tables.ts';
import { DEFAULT_MAX_FUTURE_SKEW_MS } from './decode.ts';
import { freshness, readWatermarks, settleOutcomes, watermarkKey, type PendingOutcome } from './watermarks.ts';
import { definedOnly } from './defined-only.ts';

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

/** `signalled`: queued in a stream workflow, whose batch activity records `applied` in `stream_applied` with the effect. */
export type RunOutcome = 'applied' | 'signalled' | 'ignored' | 'duplicate' | 'stale' | 'dead_lettered';

export interface RunOptions {
  /** Calls of `process` (or of the stream signal), the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each backoff, so a long retry run keeps the Kafka consumer's group session alive. */
  heartbeat?: () => Promise<void>;
  /** The outcome kind recorded when a sub-processor applies a change itself: replays record `replayed`. */
  appliedAs?: Extract<ChangeOutcomeKind, 'applied' | 'replayed'>;
  /** A stored watermark further ahead of the clock than this is a poisoned one and may be overwritten. */
  maxFutureSkewMs?: number;
  /** Stream workflows' task queue (tests run their own worker). */
  taskQueue?: string;
  /** Sends the stream signals; the processor passes one coalescer for all its partitions. Default: one SignalWithStart each. */
  signal?: SendStreamSignal;
  /** This sub-processor's watermarks for the batch's keys, already read (the processor reads all sub-processors' at once). */
  watermarks?: ReadonlyMap<string, Hlc>;
  /** Injected in tests. */
  random?: () => number;
  delay?: (ms: number) => Promise<unknown>;
  now?: () => Date;
}

export interface RunResult {
  outcome: RunOutcome;
  workflowId?: string;
  /** For `signalled`: the run the signal reached. */
  runId?: string;
  detail?: string;
  /** Calls of `process` made (0 when it was not called), or of the stream signal when it failed. */
  attempts: number;
  /** The last failure, when the outcome is `dead_lettered`. */
  error?: unknown;
  /** Why it gave up: `onError` said `dead-letter`, or attempts ran out. */
  gaveUp?: 'non_retryable' | 'retries_exhausted';
  firstFailedAt?: Date;
  /** From the row's commit (the changefeed `updated` wall clock) to the recorded outcome. */
  latencyMs: number;
}

/** What a batch run decided, before it is written: the results, and the outcome rows with their watermark advances. */
export interface BatchRun {
  results: RunResult[];
  outcomes: PendingOutcome[];
}

export const DEFAULT_RUN_OPTIONS = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5000 } as const;
/** Stream workflows signalled at once by one batch run: each is a separate Temporal round trip. */
const SIGNAL_CONCURRENCY = 8;

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
 * Runs a batch of one table's changes (in offset order) through one sub-processor, with everything the framework
 * promises around it, and writes the outcomes:
 *
 * 1. Duplicate and stale filtering against the (sub-processor, table, key) watermarks, read for the whole batch
 *    in one statement; within the batch a key's versions are judged in order, as if one by one.
 * 2. `accepts() === false` → `ignored`, and the watermark still advances. The watermark means "the newest
 *    version this sub-processor has handled", and deciding there is nothing to do is handling it.
 * 3. `process` with exponential backoff and jitter, asking `onError` after each failure. Changes it hands to
 *    a stream workflow are grouped by shard and sent with one SignalWithStart per shard; they are `signalled`.
 * 4. One statement writes every outcome row and advances the watermarks of the handled changes (a
 *    compare-and-set that never moves one back). A change given up on does not advance, so a replay can still
 *    apply it; the caller dead-letters it.
 *
 * Throws only if the database does, or Temporal stays unreachable: the message is not at fault then, and the
 * caller must leave the batch uncommitted so it is redelivered (the watermarks make the repeat a duplicate).
 */
export async function runSubProcessorBatch(sp: AnySubProcessor, changes: readonly AnyTableChange[], ctx: ProcessContext, options: RunOptions = {}): Promise<RunResult[]> {
  const run = await planSubProcessorBatch(sp, changes, ctx, options);
  await settleOutcomes(ctx.sql ?? ctx.db, run.outcomes, { now: options.now, maxFutureSkewMs: options.maxFutureSkewMs });
  return run.results;
}

/** One change through one sub-processor: `runSubProcessorBatch` of one (dead-letter replay uses it). */
export async function runSubProcessor(sp: AnySubProcessor, change: AnyTableChange, ctx: ProcessContext, options: RunOptions = {}): Promise<RunResult> {
  const [result] = await runSubProcessorBatch(sp, [change], ctx, options);
  if (!result) throw new Error('runSubProcessorBatch returned no result for its one change');
  return result;
}

/** Everything `runSubProcessorBatch` does but the final write, so the processor can write all sub-processors' outcomes at once. */
export async function planSubProcessorBatch(sp: AnySubProcessor, changes: readonly AnyTableChange[], ctx: ProcessContext, options: RunOptions = {}): Promise<BatchRun> {
  const settings = { ...DEFAULT_RUN_OPTIONS, ...definedOnly(options) };
  const now = options.now ?? (() => new Date());
  const latency = (change: AnyTableChange) => Math.max(0, Math.min(INT4_MAX, now().getTime() - hlcToMillis(change.updated)));
  const log = ctx.log.child({ subProcessor: sp.name });

  const results: RunResult[] = new Array<RunResult>(changes.length);
  const outcomes: PendingOutcome[] = [];
  const settle = (index: number, result: Omit<RunResult, 'latencyMs'>, kind: ChangeOutcomeKind, advance: boolean) => {
    const change = changes[index]!;
    const latencyMs = latency(change);
    results[index] = { ...result, latencyMs };
    outcomes.push({ subProcessor: sp.name, change, outcome: kind, workflowId: result.workflowId, runId: result.runId, detail: result.detail, latencyMs, advance });
  };

  const seen = options.watermarks ? new Map(options.watermarks) : await readWatermarks(ctx.sql ?? ctx.db, sp.name, changes, { now: now(), maxFutureSkewMs: options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS });
  const accepted: number[] = [];
  changes.forEach((change, index) => {
    const key = watermarkKey(change);
    const fresh = freshness(change, seen.get(key) ?? null);
    if (fresh !== 'new') {
      settle(index, { outcome: fresh, attempts: 0 }, fresh, false);
      return;
    }
    seen.set(key, change.updated);
    try {
      if (sp.accepts(change)) accepted.push(index);
      else settle(index, { outcome: 'ignored', attempts: 0, detail: 'not accepted' }, 'ignored', true);
    } catch (error) {
      // A deterministic bug: retrying cannot help, and throwing would block the partition forever.
      const detail = `accepts() threw: ${describeError(error)}`;
      log.error({ err: error, rowKey: change.rowKey, updated: change.updatedText }, 'accepts() threw; dead-lettering');
      settle(index, { outcome: 'dead_lettered', attempts: 0, error, gaveUp: 'non_retryable', firstFailedAt: now(), detail }, 'dead_lettered', false);
    }
  });

  const enqueued: { index: number; stream: StreamEnqueue; attempts: number; firstFailedAt?: Date }[] = [];
  for (const index of accepted) {
    const change = changes[index]!;
    const outcome = await withRetries(sp, change, () => sp.process(change, { ...ctx, log }), settings, options, now, log);
    if ('failed' in outcome) {
      const { error, attempts, gaveUp, firstFailedAt } = outcome.failed;
      settle(index, { outcome: 'dead_lettered', attempts, error, gaveUp, firstFailedAt, detail: describeError(error) }, 'dead_lettered', false);
      continue;
    }
    const { result, attempts, firstFailedAt } = outcome;
    if (result.outcome === 'enqueue') {
      enqueued.push({ index, stream: result.stream, attempts, ...(firstFailedAt ? { firstFailedAt } : {}) });
      continue;
    }
    const kind = result.outcome === 'applied' ? (options.appliedAs ?? 'applied') : 'ignored';
    settle(index, { outcome: result.outcome, ...definedOnly({ workflowId: result.workflowId, detail: result.detail, firstFailedAt }), attempts }, kind, true);
  }

  // One SignalWithStart per shard carries all of the batch's messages for that shard workflow, in offset order.
  const shards = new Map<string, typeof enqueued>();
  for (const entry of enqueued) {
    const group = shards.get(entry.stream.shardKey) ?? [];
    group.push(entry);
    shards.set(entry.stream.shardKey, group);
  }
  const send: SendStreamSignal = options.signal ?? ((signal) => signalStream(ctx.temporal, signal));
  /** `alone`: sent by itself, not merged with other signals, to find which message the workflow refuses. */
  const signalGroup = async (group: typeof enqueued, alone = false): Promise<void> => {
    const first = group[0]!;
    const messages = group.map(({ index, stream }) => streamMessageFor(changes[index]!, stream.payload));
    const outcome = await withRetries(
      sp,
      changes[first.index]!,
      () =>
        (alone ? (signal: Parameters<SendStreamSignal>[0]) => signalStream(ctx.temporal, signal) : send)({
          subProcessor: sp.name,
          shardKey: first.stream.shardKey,
          activity: first.stream.activity,
          messages,
          batch: first.stream.batch,
          retry: first.stream.retry,
          taskQueue: options.taskQueue,
        }),
      settings,
      options,
      now,
      log,
      { rethrow: isTemporalUnavailable },
    );
    if ('failed' in outcome) {
      // Refused for a message-specific reason: send the messages one by one, so only the offending ones are dead-lettered.
      if (!alone && outcome.failed.gaveUp === 'non_retryable') {
        for (const entry of group) await signalGroup([entry], true);
        return;
      }
      const { error, attempts, gaveUp, firstFailedAt } = outcome.failed;
      for (const { index } of group) settle(index, { outcome: 'dead_lettered', attempts, error, gaveUp, firstFailedAt, detail: describeError(error) }, 'dead_lettered', false);
      return;
    }
    const { workflowId, runId } = outcome.result;
    group.forEach((entry, position) => {
      const detail = `signalled ${messages[position]!.id}`;
      settle(entry.index, { outcome: 'signalled', workflowId, runId, detail, attempts: entry.attempts, ...(entry.firstFailedAt ? { firstFailedAt: entry.firstFailedAt } : {}) }, 'signalled', true);
    });
  };
  const groups = [...shards.values()];
  for (let next = 0; next < groups.length; next += SIGNAL_CONCURRENCY) {
    await Promise.all(groups.slice(next, next + SIGNAL_CONCURRENCY).map((group) => signalGroup(group)));
  }

  return { results, outcomes };
}

type Attempted<T> =
  | { result: T; attempts: number; firstFailedAt?: Date }
  | { failed: { error: unknown; attempts: number; gaveUp: 'non_retryable' | 'retries_exhausted'; firstFailedAt: Date } };

/** Calls `work` until it succeeds, `onError` says dead-letter, or attempts run out; `rethrow` errors escape once attempts run out. */
async function withRetries<T>(
  sp: AnySubProcessor,
  change: AnyTableChange,
  work: () => Promise<T>,
  settings: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number },
  options: RunOptions,
  now: () => Date,
  log: ProcessContext['log'],
  { rethrow }: { rethrow?: (error: unknown) => boolean } = {},
): Promise<Attempted<T>> {
  let firstFailedAt: Date | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return { result: await work(), attempts: attempt, ...(firstFailedAt ? { firstFailedAt } : {}) };
    } catch (error) {
      firstFailedAt ??= now();
      const decision = decide(sp, change, error, attempt, log);
      const gaveUp = decision === 'dead-letter' ? 'non_retryable' : attempt >= settings.maxAttempts ? 'retries_exhausted' : undefined;
      if (gaveUp === 'retries_exhausted' && rethrow?.(error)) throw error;
      if (gaveUp) {
        log.error({ err: error, attempt, gaveUp, rowKey: change.rowKey, updated: change.updatedText }, 'sub-processor gave up; dead-lettering');
        return { failed: { error, attempts: attempt, gaveUp, firstFailedAt } };
      }
      const wait = backoffDelay(attempt, settings, options.random);
      log.warn({ err: error, attempt, retryInMs: wait, rowKey: change.rowKey }, 'sub-processor failed; retrying');
      await options.heartbeat?.();
      await (options.delay ?? sleep)(wait);
    }
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

