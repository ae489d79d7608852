import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import {
  DEFAULT_STREAM_RETRY,
  enqueueSignal,
  STREAM_NON_RETRYABLE_ERROR_TYPES,
  streamStatusQuery,
  type StreamDeadLetterInput,
  type StreamMessage,
  type StreamWorkflowInput,
  type StreamWorkflowStatus,
} from '../../server/temporal/contract.ts';

/** What every batch activity a stream workflow can name looks like. The workflow never reads `payload`. */
export type StreamBatchActivity<T = unknown> = (messages: StreamMessage<T>[]) => Promise<unknown>;

export const DEFAULT_MAX_HISTORY_EVENTS = 4000;
/** A run lasts at least this long, whatever the client asked for, so that a carried queue is worked off. */
export const MIN_RUN_FOR_MS = 1000;
/** How many message ids the workflow remembers to drop re-signalled duplicates; carried across continue-as-new. */
export const RECENT_IDS_LIMIT = 2000;

/** Runs before this patch retried a failing batch for ever and dropped (only logged) a message rejected as unprocessable. */
export const STREAM_DEAD_LETTERS_PATCH = 'stream-bounded-retries-dead-letters';
/**
 * Runs before this patch started a timer for the run's end each time they waited for a message, and cancelled it
 * when one came: two history events and a timer per batch. Since: one timer for the whole run.
 */
export const STREAM_ONE_RUN_TIMER_PATCH = 'stream-one-run-timer';
/**
 * Runs before this patch ran each batch as a normal activity: scheduled on the task queue, dispatched by the
 * server, and completed in a second workflow task. Since: a local activity, run by the worker in the workflow
 * task that decided it and recorded as one marker (one workflow task per batch instead of two plus an activity
 * task). Safe because a batch is idempotent per message (the effect ledger) and takes milliseconds.
 */
export const STREAM_LOCAL_BATCH_PATCH = 'stream-local-batch-activity';
/**
 * Runs before this patch forgot a dead-lettered message's id only once the dead letter was recorded: a replay's
 * signal applied in the same activation as that completion was dropped as a duplicate. Since: forgotten first.
 */
export const STREAM_FORGET_BEFORE_DEAD_LETTER_PATCH = 'stream-forget-before-dead-letter';
/** Attempts per sub-batch while a failed batch is split to find its failing messages: the batch already used its full bounds. */
const SPLIT_MAX_ATTEMPTS = 3;

const batchActivities = proxyActivities<Record<string, StreamBatchActivity>>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: STREAM_NON_RETRYABLE_ERROR_TYPES,
  },
});

function boundedBatchActivities(retry: NonNullable<StreamWorkflowInput['retry']>, maximumAttempts: number, local: boolean) {
  const options = {
    startToCloseTimeout: '1 minute',
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs,
      maximumAttempts,
      nonRetryableErrorTypes: STREAM_NON_RETRYABLE_ERROR_TYPES,
    },
  } as const;
  return local ? proxyLocalActivities<Record<string, StreamBatchActivity>>(options) : proxyActivities<Record<string, StreamBatchActivity>>(options);
}

/** The safety net: recording a dead letter retries until Postgres and Kafka take it. */
const { recordStreamDeadLetter } = proxyActivities<{ recordStreamDeadLetter(input: StreamDeadLetterInput): Promise<unknown> }>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** A batch activity's final failure: an ActivityFailure for a normal activity, the activity's own error for a local one. */
function batchFailure(err: unknown): { cause: Error | undefined; message: string; nonRetryable: boolean } | undefined {
  if (err instanceof ActivityFailure) return { cause: err.cause, message: err.message, nonRetryable: err.retryState === RetryState.NON_RETRYABLE_FAILURE };
  if (err instanceof ApplicationFailure) return { cause: err, message: err.message, nonRetryable: err.nonRetryable || STREAM_NON_RETRYABLE_ERROR_TYPES.includes(err.type ?? '') };
  return undefined;
}

interface Queued {
  message: StreamMessage;
  /** Workflow time it was enqueued, for the max-wait batching rule. */
  at: number;
}

/**
 * The abstract stream-processing workflow: one long-running execution per (sub-processor, shard key), fed by
 * `enqueueSignal` (usually through SignalWithStart), running the named batch activity over its queue in
 * signal order. A batch runs once `batch.maxSize` messages are queued or the oldest has waited
 * `batch.maxWaitMs`. After `runForMs`, or before its history grows past `maxHistoryEvents`, it completes if
 * the queue is empty and otherwise continues-as-new carrying the queue, the recent ids and its counters.
 */
export async function streamProcessingWorkflow(input: StreamWorkflowInput): Promise<StreamWorkflowStatus> {
  const { activity, batch } = input;
  const runForMs = Math.max(MIN_RUN_FOR_MS, input.runForMs);
  const maxSize = Math.max(1, batch.maxSize);
  const maxWaitMs = Math.max(0, batch.maxWaitMs);
  const maxHistoryEvents = input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS;
  const runBatchActivity = batchActivities[activity];
  if (!runBatchActivity) throw new TypeError(`no activity proxy for "${activity}"`);
  const retry = input.retry ?? DEFAULT_STREAM_RETRY;
  const boundedAttempts = Math.max(1, retry.maximumAttempts);
  const splitAttempts = Math.min(SPLIT_MAX_ATTEMPTS, boundedAttempts);
  const batchActivity = (local: boolean, splitting: boolean) => boundedBatchActivities(retry, splitting ? splitAttempts : boundedAttempts, local)[activity]!;

  const startedAtMs = Date.now();
  const runUntil = startedAtMs + runForMs;
  const generation = input.carried?.generation ?? 0;
  let processed = input.carried?.processed ?? 0;
  let failed = input.carried?.failed ?? 0;
  let batches = 0;
  /** Batches run by this run, failed ones included. */
  let attempted = 0;

  const recent = new Set<string>(input.carried?.recentIds ?? []);
  const remember = (id: string) => {
    recent.add(id);
    while (recent.size > RECENT_IDS_LIMIT) recent.delete(recent.values().next().value as string);
  };
  // Carried messages have waited long enough already: they are due at once.
  const queue: Queued[] = (input.carried?.queue ?? []).map((message) => ({ message, at: startedAtMs - maxWaitMs }));
  for (const { message } of queue) remember(message.id);

  setHandler(enqueueSignal, (messages) => {
    for (const message of messages) {
      if (recent.has(message.id)) continue;
      remember(message.id);
      queue.push({ message, at: Date.now() });
    }
  });
  const status = (): StreamWorkflowStatus => ({ queued: queue.length, processed, batches, generation, startedAtMs, failed });
  setHandler(streamStatusQuery, status);

  /**
   * Local batches run back to back inside one workflow task, whose markers reach the history (and historyLength)
   * only when the task completes: counted here so a backlog cannot outgrow maxHistoryEvents in a single task.
   */
  let historyLengthSeen = 0;
  let localBatchesSince = 0;
  const mustRollOver = () => {
    if (Date.now() >= runUntil) return true;
    const info = workflowInfo();
    if (info.historyLength !== historyLengthSeen) {
      historyLengthSeen = info.historyLength;
      localBatchesSince = 0;
    }
    const historyFull = info.historyLength + localBatchesSince >= maxHistoryEvents || info.continueAsNewSuggested;
    // A run that starts with a backlog runs at least one batch first, so a low limit cannot hand it on forever.
    return historyFull && (attempted > 0 || queue.length === 0);
  };
  const batchDue = (): boolean => {
    const oldest = queue[0];
    return oldest !== undefined && (queue.length >= maxSize || Date.now() >= oldest.at + maxWaitMs);
  };

  /**
   * Runs one batch. Before STREAM_DEAD_LETTERS_PATCH: retried for ever, and a batch rejected as unprocessable was
   * split so that only the offending messages were dropped (logged and counted in `failed`). Since: retries are
   * bounded, a batch that still fails is split in halves (in order) until the failing messages are found, and
   * each one becomes a dead letter (stage `workflow`) that can be replayed: nothing is dropped with only a log line.
   */
  const runBatch = async (messages: StreamMessage[], splitting = false): Promise<void> => {
    attempted += 1;
    const bounded = patched(STREAM_DEAD_LETTERS_PATCH);
    try {
      const local = bounded && patched(STREAM_LOCAL_BATCH_PATCH);
      if (local) localBatchesSince += 1;
      await (bounded ? batchActivity(local, splitting) : runBatchActivity)(messages);
      processed += messages.length;
      batches += 1;
    } catch (err) {
      if (isCancellation(err)) throw err;
      const failure = batchFailure(err);
      if (!failure) throw err;
      if (!bounded) {
        if (messages.length > 1) {
          log.warn('batch rejected; retrying its messages one by one', { activity, size: messages.length, error: failure.cause?.message });
          for (const message of messages) await runBatch([message]);
          return;
        }
        failed += 1;
        log.error('message rejected by the batch activity; dropped', { activity, id: messages[0]?.id, error: failure.cause?.message });
        return;
      }
      if (messages.length > 1) {
        log.warn('batch failed; splitting it to find the failing messages', { activity, size: messages.length, error: failure.cause?.message });
        const half = Math.ceil(messages.length / 2);
        await runBatch(messages.slice(0, half), true);
        await runBatch(messages.slice(half), true);
        return;
      }
      const message = messages[0]!;
      failed += 1;
      const attempts = failure.nonRetryable ? 1 : splitting ? splitAttempts : boundedAttempts;
      const cause = failure.cause;
      const error = cause ? `${cause instanceof ApplicationFailure && cause.type ? cause.type : cause.name}: ${cause.message}` : failure.message;
      log.error('batch activity gave up on a message; dead-lettering it', { activity, id: message.id, attempts, error });
      // A replay re-signals the same id: it must not be dropped as a duplicate, even when it arrives in the same
      // activation as the dead letter's completion (signals are applied first), as a fast replay can.
      const forgetFirst = patched(STREAM_FORGET_BEFORE_DEAD_LETTER_PATCH);
      if (forgetFirst) recent.delete(message.id);
      await recordStreamDeadLetter({ subProcessor: input.subProcessor, activity, message, error, attempts });
      if (!forgetFirst) recent.delete(message.id);
    }
  };

  let runOver = false;
  const oneRunTimer = patched(STREAM_ONE_RUN_TIMER_PATCH);
  if (oneRunTimer) {
    void sleep(runUntil - startedAtMs).then(() => {
      runOver = true;
    });
  }

  while (!runOver && !mustRollOver()) {
    if (batchDue()) {
      await runBatch(queue.splice(0, maxSize).map(({ message }) => message));
      continue;
    }
    // Sleep until the batch fills, the oldest message falls due, a first message arrives, or the run ends.
    const oldest = queue[0];
    const wasEmpty = oldest === undefined;
    const filled = () => queue.length >= maxSize || (wasEmpty && queue.length > 0);
    if (oneRunTimer) {
      // Only a batch's max wait needs a timer of its own; the run's end is the one timer started above.
      if (oldest && maxWaitMs > 0) await condition(() => filled() || runOver, Math.max(1, Math.min(oldest.at + maxWaitMs, runUntil) - Date.now()));
      else await condition(() => filled() || runOver);
      continue;
    }
    const wakeAt = oldest ? Math.min(oldest.at + maxWaitMs, runUntil) : runUntil;
    await condition(filled, wakeAt - Date.now());
  }

  // Signal handlers are synchronous today; waiting keeps that from silently losing messages if one ever awaits.
  await condition(allHandlersFinished);
  if (queue.length === 0) return status();
  log.info('continuing as new with a non-empty queue', { queued: queue.length, generation: generation + 1 });
  return continueAsNew<typeof streamProcessingWorkflow>({
    ...input,
    carried: {
      queue: queue.map(({ message }) => message),
      recentIds: [...recent],
      processed,
      failed,
      generation: generation + 1,
    },
  });
}
