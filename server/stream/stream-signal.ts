import { isGrpcServiceError, type Client } from '@temporalio/client';
import {
  enqueueSignal,
  streamWorkflowId,
  TASK_QUEUES,
  WORKFLOW_TYPES,
  type StreamMessage,
  type StreamWorkflowInput,
  type StreamWorkflowStatus,
} from '../temporal/contract.ts';
import { hlcToMillis } from './envelope.ts';
import type { Change, ErrorDecision, ProcessContext, ProcessResult } from './sub-processor.ts';

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
  { subProcessor, shardKey, activity, messages, batch, runForMs, maxHistoryEvents, taskQueue }: SignalStreamOptions<T>,
): Promise<{ workflowId: string; runId: string }> {
  const workflowId = streamWorkflowId(subProcessor, shardKey);
  const input: StreamWorkflowInput = {
    subProcessor,
    shardKey,
    activity,
    batch: { ...DEFAULT_STREAM_BATCH, ...definedOnly(batch ?? {}) },
    runForMs: runForMs ?? DEFAULT_STREAM_RUN_FOR_MS,
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

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
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

/** Signals one change into its shard's stream workflow and reports it as applied. */
export async function signalChange<T>(
  ctx: ProcessContext,
  change: Change<unknown>,
  { subProcessor, shardKey, activity, payload, batch }: { subProcessor: string; shardKey: string; activity: string; payload: T; batch?: Partial<StreamWorkflowInput['batch']> },
): Promise<ProcessResult> {
  const message: StreamMessage<T> = { id: changeMessageId(change), payload, committedAtMs: hlcToMillis(change.updated) };
  const { workflowId } = await signalStream(ctx.temporal, { subProcessor, shardKey, activity, messages: [message], batch });
  return { outcome: 'applied', workflowId, detail: `signalled ${message.id}` };
}

const GRPC_INVALID_ARGUMENT = 3;

/**
 * What the stream sub-processors share in `onError`: a change that cannot be valid on a later attempt (a
 * validation error, or Temporal rejecting the request as malformed) is dead-lettered at once; anything else
 * (Temporal or the network unavailable, deadlines) is retried, and the framework dead-letters it when its
 * attempts run out.
 */
export function classifyStreamError(error: unknown): ErrorDecision {
  if (error instanceof Error && (error.name === 'ZodError' || error instanceof InvalidChangeError)) return 'dead-letter';
  const grpc = isGrpcServiceError(error) ? error : error instanceof Error && isGrpcServiceError(error.cause) ? error.cause : undefined;
  const code: number | undefined = grpc?.code;
  if (code === GRPC_INVALID_ARGUMENT) return 'dead-letter';
  return 'retry';
}
