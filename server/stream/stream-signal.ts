import { isGrpcServiceError, type Client } from '@temporalio/client';
import {
  DEFAULT_STREAM_RETRY,
  enqueueSignal,
  streamWorkflowId,
  TASK_QUEUES,
  WORKFLOW_TYPES,
  type StreamMessage,
  type StreamWorkflowInput,
  type StreamWorkflowStatus,
} from '../temporal/contract.ts';
import { hlcToMillis } from './envelope.ts';
import type { Change, ErrorDecision, ProcessResult, StreamEnqueue } from './sub-processor.ts';
import { definedOnly } from './defined-only.ts';

/**
 * No wait: a change runs as soon as it arrives, and whatever arrives while a batch runs forms the next batch
 * (up to maxSize). A max wait is a workflow timer, and server timers fire with about a second of slack
 * (a 200 ms wait measured 983 ms on the dev server), which would put seconds between a sale and "sold out".
 */
export const DEFAULT_STREAM_BATCH: StreamWorkflowInput['batch'] = { maxSize: 50, maxWaitMs: 0 };
export const DEFAULT_STREAM_RUN_FOR_MS = 60 * 60 * 1000;

export interface SignalStreamOptions<T> {
  subProcessor: string;
  shardKey: string;
  /** The batch activity the workflow runs its queue through, by registered name. */
  activity: string;
  messages: StreamMessage<T>[];
  batch?: Partial<StreamWorkflowInput['batch']>;
  retry?: StreamWorkflowInput['retry'];
  runForMs?: number;
  maxHistoryEvents?: number;
  /** Tests run their own worker on their own queue. */
  taskQueue?: string;
}

type StreamProcessingWorkflow = (input: StreamWorkflowInput) => Promise<StreamWorkflowStatus>;

/**
 * Hands messages to the stream-processing workflow of (sub-processor, shard key), starting it if none is
 * running (SignalWithStart), so there is never more than one run per shard. The start options only apply
 * when this call starts the run; a running workflow keeps the batch settings it was started with.
 */
export async function signalStream<T>(
  client: Client,
  { subProcessor, shardKey, activity, messages, batch, retry, runForMs, maxHistoryEvents, taskQueue }: SignalStreamOptions<T>,
): Promise<{ workflowId: string; runId: string }> {
  const workflowId = streamWorkflowId(subProcessor, shardKey);
  const input: StreamWorkflowInput = {
    subProcessor,
    shardKey,
    activity,
    batch: { ...DEFAULT_STREAM_BATCH, ...definedOnly(batch ?? {}) },
    runForMs: runForMs ?? DEFAULT_STREAM_RUN_FOR_MS,
    retry: retry ?? DEFAULT_STREAM_RETRY,
    ...(maxHistoryEvents === undefined ? {} : { maxHistoryEvents }),
  };
  const handle = await client.workflow.signalWithStart<StreamProcessingWorkflow, [StreamMessage[]]>(WORKFLOW_TYPES.streamProcessing, {
    taskQueue: taskQueue ?? TASK_QUEUES.stream,
    workflowId,
    args: [input],
    signal: enqueueSignal,
    signalArgs: [messages],
  });
  return { workflowId, runId: handle.signaledRunId };
}


// ─── For sub-processors that hand changes to a stream workflow ────────────────────────────────────────

/** The change does not carry what the sub-processor needs (e.g. neither `before` nor `after`): never retried. */
export class InvalidChangeError extends Error {
  override name = 'InvalidChangeError';
}

/** One message per (table, key, version): a redelivered change re-signals the same id and the workflow drops it. */
export function changeMessageId(change: Pick<Change<unknown>, 'table' | 'rowKey' | 'updatedText'>): string {
  return `${change.table}:${change.rowKey}@${change.updatedText}`;
}

/**
 * An update that changed nothing but `updated_at`: the "recovery by touch" that re-emits a row through the
 * pipeline. Sub-processors whose rule looks at what changed accept a touch, so that it re-runs them.
 */
export function isTouch(change: Pick<Change<object>, 'op' | 'before' | 'after'>): boolean {
  const { op, before, after } = change;
  if (op !== 'update' || !before || !after) return false;
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const columns = new Set([...Object.keys(b), ...Object.keys(a)]);
  columns.delete('updated_at');
  return [...columns].every((column) => b[column] === a[column]);
}

/** The message a change becomes in its shard's stream workflow. */
export function streamMessageFor<T>(change: Change<unknown>, payload: T): StreamMessage<T> {
  const { table, rowKey, updatedText, source } = change;
  return {
    id: changeMessageId(change),
    payload,
    committedAtMs: hlcToMillis(change.updated),
    source: { table, rowKey, updated: updatedText, topic: source.topic, partition: source.partition, offset: source.offset },
  };
}

/** `process`'s answer for a change that goes to the stream workflow of (sub-processor, `shardKey`). */
export function enqueueChange<T>(stream: StreamEnqueue<T>): ProcessResult {
  return { outcome: 'enqueue', stream };
}

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;

function grpcCode(error: unknown): number | undefined {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (isGrpcServiceError(cause)) return cause.code;
  }
  return undefined;
}

/**
 * Temporal could not be reached (down, restarting, overloaded). The message is not at fault, so the processor
 * does not dead-letter it: it leaves the batch uncommitted and Kafka redelivers it once Temporal is back.
 */
export function isTemporalUnavailable(error: unknown): boolean {
  const code = grpcCode(error);
  return code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED || code === GRPC_RESOURCE_EXHAUSTED;
}

/**
 * What the stream sub-processors share in `onError`: a change that cannot be valid on a later attempt (a
 * validation error, or Temporal rejecting the request as malformed) is dead-lettered at once; anything else
 * (Temporal or the network unavailable, deadlines) is retried, and the framework dead-letters it when its
 * attempts run out.
 */
export function classifyStreamError(error: unknown): ErrorDecision {
  if (error instanceof Error && (error.name === 'ZodError' || error instanceof InvalidChangeError)) return 'dead-letter';
  if (grpcCode(error) === GRPC_INVALID_ARGUMENT) return 'dead-letter';
  return 'retry';
}
