import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DeadLetter, DeadLetterStatus, Prisma, PrismaClient } from '../db/generated/client.ts';
import { decodeMessage } from './decode.ts';
import type { StreamMessage } from '../temporal/contract.ts';
import { messageSource, newerApplied } from './effect-ledger.ts';
import { formatHlc, parseHlc } from './envelope.ts';
import { signalStream } from './stream-signal.ts';
import {
  describeError,
  subProcessorsFor,
  runSubProcessor,
  type AnySubProcessor,
  type RunOptions,
  type RunOutcome,
  type RunResult,
  type SubProcessorRegistry,
} from './run-sub-processor.ts';
import { isChangefeedTable, type ChangefeedTable } from './tables.ts';
import { readWatermark, settleOutcomes, type Db } from './watermarks.ts';
import type { Actor } from '../auth/actor.ts';
import { recordAudit } from '../audit/audit-row.ts';
import { env } from '../env.ts';
import { temporalWorkflowUrl } from '../temporal/ui-links.ts';
import { DeadLetterNotFoundError, DeadLetterNotPendingError, DeadLetterReplayInProgressError, DiscardReasonRequiredError } from './dead-letter-errors.ts';
import { parseId, toDeadLetterView, type DeadLetterView } from './dead-letter-query.ts';

/** Resolving dead letters: replay (re-run or re-signal) and discard, each with its audit row. */

export interface DeadLetterDeps {
  db: PrismaClient;
  /** Not needed by replay or discard today; accepted so the console can pass one set of deps. */
  producer?: Producer;
  temporal: Client;
  registry: SubProcessorRegistry;
  log: Logger;
  /** Retry policy for the re-run. The operator is waiting, so fewer attempts than the stream's by default. */
  retry?: Omit<RunOptions, 'appliedAs'>;
  /** Where stream workflows run; tests run their own worker. */
  streamTaskQueue?: string;
}

export interface ReplayOutcome {
  subProcessor: string;
  outcome: RunOutcome;
  attempts: number;
  workflowId?: string;
  /** The stream workflow run the replay's signal reached. */
  runId?: string;
  /** That run in the Temporal UI. */
  workflowUrl?: string;
  error?: string;
}

export interface ReplayResult {
  id: string;
  /** `pending`: the replay failed and the entry stays open (see `error`). */
  status: Extract<DeadLetterStatus, 'replayed' | 'superseded' | 'pending'>;
  /** One per sub-processor re-run: the failed one, or every sub-processor of the table for a `decode` entry. */
  outcomes: ReplayOutcome[];
  resolution?: string;
  error?: string;
}

const DEFAULT_REPLAY_RETRY = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 } as const;
const replaysInFlight = new Set<string>();

async function loadPending(db: Db, id: string | bigint): Promise<DeadLetter> {
  const parsed = parseId(id);
  const row = parsed === null ? null : await db.deadLetter.findUnique({ where: { id: parsed } });
  if (!row) throw new DeadLetterNotFoundError(String(id));
  if (row.status !== 'pending') throw new DeadLetterNotPendingError(row.id.toString(), row.status);
  return row;
}

/** Each outcome that names a stream workflow links it in the Temporal UI (the run the replay reached, when known). */
function withWorkflowUrls(result: ReplayResult): ReplayResult {
  const ui = { uiUrl: env().TEMPORAL_UI_URL, namespace: env().TEMPORAL_NAMESPACE };
  return { ...result, outcomes: result.outcomes.map((o) => (o.workflowId ? { ...o, workflowUrl: temporalWorkflowUrl(ui, o.workflowId, o.runId) } : o)) };
}

/**
 * Re-runs a pending dead letter through only the sub-processor that failed (every sub-processor of the table
 * for a `decode` entry, since none ran). Duplicate/stale filtering applies as in the stream:
 * - a newer version of the key was processed since → `superseded`, not applied;
 * - it succeeds → `replayed`;
 * - it fails (or still cannot be decoded) → stays `pending`, with `replay_attempts` + 1 and the new error.
 * Every call writes one `dead_letter.replay` audit row.
 */
export async function replayDeadLetter(deps: DeadLetterDeps, id: string | bigint, actor: Actor): Promise<ReplayResult> {
  const entry = await loadPending(deps.db, id);
  const key = entry.id.toString();
  if (replaysInFlight.has(key)) throw new DeadLetterReplayInProgressError(key);
  replaysInFlight.add(key);
  try {
    const result = withWorkflowUrls(await rerun(deps, entry));
    await settleReplay(deps.db, entry, actor, result);
    deps.log.info({ deadLetter: key, actor: actor.id, status: result.status, outcomes: result.outcomes }, 'dead letter replayed');
    return result;
  } finally {
    replaysInFlight.delete(key);
  }
}

const workflowEntrySchema = z.object({
  activity: z.string().min(1),
  message: z.object({ id: z.string().min(1), payload: z.unknown(), committedAtMs: z.number().optional(), source: z.unknown().optional() }).passthrough(),
});

/**
 * Replays a workflow-stage entry: its sub-processor had already handed the message to a stream workflow, whose
 * batch activity gave up, so the message goes back to that shard's workflow as it was. Superseded when the
 * workflow has since applied a newer version of the key; replayed without a signal if this one was applied meanwhile.
 */
async function resignal(deps: DeadLetterDeps, entry: DeadLetter): Promise<ReplayResult> {
  const id = entry.id.toString();
  const pending = (error: string, outcomes: ReplayOutcome[] = []): ReplayResult => ({ id, status: 'pending', outcomes, error });
  const parsed = workflowEntrySchema.safeParse(safeJson(entry.payload));
  if (!parsed.success) return pending('cannot replay: the stored stream message is not readable');
  const { activity } = parsed.data;
  const message = parsed.data.message as StreamMessage;
  const prefix = `stream:${entry.subProcessor}:`;
  const shardKey = entry.workflowId?.startsWith(prefix) ? entry.workflowId.slice(prefix.length) : null;
  if (!shardKey) return pending(`cannot replay: workflow id "${entry.workflowId ?? '(none)'}" is not a stream workflow of ${entry.subProcessor}`);

  const source = messageSource(message);
  const applied = await deps.db.streamApplied.findUnique({ where: { subProcessor_messageId: { subProcessor: entry.subProcessor, messageId: message.id } } });
  if (applied) {
    return { id, status: 'replayed', outcomes: [{ subProcessor: entry.subProcessor, outcome: 'duplicate', attempts: 0, workflowId: applied.workflowId }], resolution: `${entry.subProcessor}: already applied by ${applied.workflowId} at ${applied.appliedAt.toISOString()}` };
  }
  const newer = source ? await newerApplied(deps.db, entry.subProcessor, source) : null;
  if (newer && source) {
    return {
      id,
      status: 'superseded',
      outcomes: [{ subProcessor: entry.subProcessor, outcome: 'stale', attempts: 0 }],
      resolution: `${entry.subProcessor}: superseded, a newer version (updated ${newer}) of key ${source.rowKey} was applied after ${source.updated}`,
    };
  }
  try {
    const { workflowId, runId } = await signalStream(deps.temporal, { subProcessor: entry.subProcessor, shardKey, activity, messages: [message], taskQueue: deps.streamTaskQueue });
    if (source && message.source) {
      await settleOutcomes(deps.db, [
        {
          subProcessor: entry.subProcessor,
          change: { table: message.source.table as ChangefeedTable, rowKey: source.rowKey, updated: parseHlc(source.updated), updatedText: source.updated, source: message.source },
          outcome: 'signalled',
          workflowId,
          runId,
          detail: `replay of dead letter ${id}: signalled ${message.id}`,
          latencyMs: 0,
          advance: false,
        },
      ]);
    }
    return { id, status: 'replayed', outcomes: [{ subProcessor: entry.subProcessor, outcome: 'signalled', attempts: 1, workflowId, runId }], resolution: `${entry.subProcessor}: signalled ${message.id} to ${workflowId} again` };
  } catch (err) {
    return pending(`signalling ${shardKey}'s stream workflow failed: ${describeError(err)}`, [{ subProcessor: entry.subProcessor, outcome: 'dead_lettered', attempts: 1, error: describeError(err) }]);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function rerun(deps: DeadLetterDeps, entry: DeadLetter): Promise<ReplayResult> {
  const id = entry.id.toString();
  const pending = (error: string, outcomes: ReplayOutcome[] = []): ReplayResult => ({ id, status: 'pending', outcomes, error });
  const table = entry.tableName;
  if (!table || !isChangefeedTable(table)) return pending(`cannot replay: "${table ?? '(none)'}" is not a changefeed table`);
  if (entry.stage === 'workflow') return resignal(deps, entry);

  // Bytes kept raw (binary, not UTF-8, NUL) are decoded as they arrived, not from their text placeholder.
  const decoded = decodeMessage(table, {
    key: entry.messageKeyBytes ? Buffer.from(entry.messageKeyBytes) : entry.messageKey,
    value: entry.payloadBytes ? Buffer.from(entry.payloadBytes) : entry.payload,
    topic: entry.topic,
    partition: entry.partition,
    offset: entry.offset.toString(),
  });
  if (decoded.kind === 'malformed') return pending(`still cannot be decoded: ${decoded.error.message}`);
  if (decoded.kind === 'resolved') return { id, status: 'replayed', outcomes: [], resolution: 'a resolved checkpoint: nothing to apply' };
  const change = decoded.change;

  let subProcessors: readonly AnySubProcessor[];
  if (entry.subProcessor === 'decode') {
    subProcessors = subProcessorsFor(deps.registry, table);
  } else {
    const sp = subProcessorsFor(deps.registry, table).find((candidate) => candidate.name === entry.subProcessor);
    if (!sp) return pending(`sub-processor "${entry.subProcessor}" is not registered for ${table}; discard the entry or restore it`);
    subProcessors = [sp];
  }

  const ctx = { db: deps.db, temporal: deps.temporal, log: deps.log.child({ component: 'dead-letter-replay', deadLetter: id }) };
  const options: RunOptions = { ...DEFAULT_REPLAY_RETRY, ...deps.retry, appliedAs: 'replayed', taskQueue: deps.streamTaskQueue };
  const runs: { sp: AnySubProcessor; run: RunResult }[] = [];
  for (const sp of subProcessors) runs.push({ sp, run: await runSubProcessor(sp, change, ctx, options) });
  const outcomes = runs.map(({ sp, run }): ReplayOutcome => ({
    subProcessor: sp.name,
    outcome: run.outcome,
    attempts: run.attempts,
    ...(run.workflowId ? { workflowId: run.workflowId } : {}),
    ...(run.runId ? { runId: run.runId } : {}),
    ...(run.outcome === 'dead_lettered' ? { error: describeError(run.error) } : {}),
  }));

  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  if (failed.length > 0) return pending(failed.map((f) => `${f.subProcessor} failed after ${f.attempts} attempt(s): ${f.error}`).join('; '), outcomes);

  const explanations = await Promise.all(
    runs.map(async ({ sp, run }) => {
      if (run.outcome === 'stale' || run.outcome === 'duplicate') {
        const watermark = await readWatermark(deps.db, sp, table, change.rowKey);
        const seen = watermark ? formatHlc(watermark) : 'unknown';
        return run.outcome === 'stale'
          ? `${sp.name}: superseded, a newer version (updated ${seen}) of key ${change.rowKey} was processed after ${change.updatedText}`
          : `${sp.name}: this version (updated ${change.updatedText}) was already processed; not applied again`;
      }
      return `${sp.name}: ${run.outcome}${run.workflowId ? ` (workflow ${run.workflowId})` : ''}`;
    }),
  );
  const status = runs.length > 0 && runs.every(({ run }) => run.outcome === 'stale') ? 'superseded' : 'replayed';
  return { id, status, outcomes, resolution: explanations.join('; ') || `no sub-processors are registered for ${table}` };
}

async function settleReplay(db: PrismaClient, entry: DeadLetter, actor: Actor, result: ReplayResult): Promise<void> {
  const now = new Date();
  const resolved = result.status !== 'pending';
  const data: Prisma.DeadLetterUpdateManyMutationInput = resolved
    ? { status: result.status, resolution: result.resolution ?? null, resolvedAt: now, resolvedBy: actor.id, replayAttempts: { increment: 1 } }
    : { errorMessage: result.error ?? 'replay failed', errorStack: null, lastFailedAt: now, replayAttempts: { increment: 1 } };
  await db.$transaction([
    db.deadLetter.updateMany({ where: { id: entry.id, status: 'pending' }, data }),
    recordAudit(db, {
      actor,
      action: 'dead_letter.replay',
      target: `dead_letter:${entry.id}`,
      reason: resolved ? (result.resolution ?? result.status) : `replay failed: ${result.error ?? ''}`,
      details: {
        result: result.status,
        outcomes: result.outcomes as unknown as Prisma.InputJsonValue,
        topic: entry.topic,
        partition: entry.partition,
        offset: entry.offset.toString(),
        subProcessor: entry.subProcessor,
      },
    }),
  ]);
}

/** Marks a pending entry `discarded`, with the reason, and audits it. */
export async function discardDeadLetter(deps: Pick<DeadLetterDeps, 'db'> & Partial<DeadLetterDeps>, id: string | bigint, actor: Actor, reason: string): Promise<DeadLetterView> {
  const why = reason.trim();
  if (!why) throw new DiscardReasonRequiredError();
  const entry = await loadPending(deps.db, id);
  await deps.db.$transaction(async (tx) => {
    const updated = await tx.deadLetter.updateMany({
      where: { id: entry.id, status: 'pending' },
      data: { status: 'discarded', resolution: why, resolvedAt: new Date(), resolvedBy: actor.id },
    });
    if (updated.count === 0) {
      // Resolved by someone else between the read and the write.
      const current = await tx.deadLetter.findUniqueOrThrow({ where: { id: entry.id }, select: { status: true } });
      throw new DeadLetterNotPendingError(entry.id.toString(), current.status);
    }
    await recordAudit(tx, {
      actor,
      action: 'dead_letter.discard',
      target: `dead_letter:${entry.id}`,
      reason: why,
      details: { topic: entry.topic, partition: entry.partition, offset: entry.offset.toString(), subProcessor: entry.subProcessor },
    });
  });
  deps.log?.info({ deadLetter: entry.id.toString(), actor: actor.id, reason: why }, 'dead letter discarded');
  return toDeadLetterView(await deps.db.deadLetter.findUniqueOrThrow({ where: { id: entry.id } }));
}
