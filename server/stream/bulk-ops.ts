import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { recordAudit } from '../audit/audit-row.ts';
import type { DeadLetterBulkKind, DeadLetterBulkOp, DeadLetterBulkResult, DeadLetterBulkStatus, Prisma, PrismaClient } from '../db/generated/client.ts';
import { deadLetterBulkCancelSignal, deadLetterBulkProgressQuery, deadLetterBulkWorkflowId, TASK_QUEUES, WORKFLOW_TYPES, type DeadLetterBulkInput, type DeadLetterBulkProgress } from '../temporal/contract.ts';
import { whereFor, type DeadLetterFilter } from './dead-letter-query.ts';
import { BULK_IDS_MAX, BULK_RATE_MAX } from './requests.ts';
import { env } from '../env.ts';
import { temporalWorkflowUrl } from '../temporal/ui-links.ts';

/**
 * The life of a bulk replay or discard, from the console's side: start (counted, confirmed, audited, then handed
 * to a `deadLetterBulkWorkflow`), cancel, and read. The workflow's activities (server/stream/bulk-run.ts) do the
 * entries and write the counts; the op row is the progress anyone can read, whichever console started it.
 */

/** 409: nothing to do, a confirmation that no longer holds, or an op that is not running. */
export class BulkOpConflictError extends Error {
  override name = 'BulkOpConflictError';
}

/** 404. */
export class BulkOpNotFoundError extends Error {
  override name = 'BulkOpNotFoundError';
  constructor(readonly opId: string) {
    super(`bulk operation ${opId} does not exist`);
  }
}

const filterSchema = z.strictObject({
  topic: z.string().optional(),
  subProcessor: z.string().optional(),
  errorText: z.string().optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

/** A selection as stored on the op row: explicit ids, or a filter (dates as ISO strings). Pending entries only. */
export const storedSelectionSchema = z.union([z.strictObject({ ids: z.array(z.string().regex(/^\d{1,19}$/)).min(1).max(BULK_IDS_MAX) }), z.strictObject({ filter: filterSchema })]);
export type StoredSelection = z.infer<typeof storedSelectionSchema>;

export type BulkSelection = { ids: string[] } | { filter: Omit<DeadLetterFilter, 'status' | 'cursor' | 'limit'> };

/** The pending entries of a selection with ids up to `maxId`. */
export function selectionWhere(selection: StoredSelection, maxId: bigint): Prisma.DeadLetterWhereInput {
  if ('ids' in selection) return { id: { in: selection.ids.map(BigInt), lte: maxId }, status: 'pending' };
  const { from, to, ...rest } = selection.filter;
  return { ...whereFor({ ...rest, ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}), status: 'pending' }), id: { lte: maxId } };
}

function storedSelection(selection: BulkSelection): StoredSelection {
  if ('ids' in selection) return storedSelectionSchema.parse({ ids: [...new Set(selection.ids)] });
  const { from, to, ...rest } = selection.filter;
  const filter = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined && value !== '')) as Record<string, string>;
  return storedSelectionSchema.parse({ filter: { ...filter, ...(from ? { from: from.toISOString() } : {}), ...(to ? { to: to.toISOString() } : {}) } });
}

/** How many pending entries a selection takes now: the preview before the confirmation. */
export async function previewBulkOp(db: PrismaClient, selection: BulkSelection): Promise<{ count: number }> {
  const maxId = (await db.deadLetter.aggregate({ _max: { id: true } }))._max.id ?? 0n;
  return { count: await db.deadLetter.count({ where: selectionWhere(storedSelection(selection), maxId) }) };
}

export interface StartBulkOpInput {
  kind: DeadLetterBulkKind;
  selection: BulkSelection;
  /** Why: required, audited, and for a discard the resolution each entry gets. */
  reason: string;
  /** The count the operator saw and confirmed: a selection that has grown past it since is refused. */
  confirmedCount: number;
  ratePerSecond: number;
}

export interface BulkOpDeps {
  db: PrismaClient;
  temporal: Client;
  /** Tests run their own worker on their own queue. */
  taskQueue?: string;
  /** Passed to the workflow; tests use small pages and runs to cover continue-as-new. */
  workflow?: Pick<DeadLetterBulkInput, 'pageSize' | 'pagesPerRun'>;
}

/**
 * Records the op (running, with the selection's bounds: pending entries with ids up to today's largest, so entries
 * that fail later are not swept in), audits `dead_letter.bulk_op.started`, and starts its workflow. If the start
 * fails the op is marked failed and the error rethrown.
 */
export async function startBulkOp(deps: BulkOpDeps, input: StartBulkOpInput, actor: Actor): Promise<BulkOpView> {
  const reason = input.reason.trim();
  if (!reason) throw new BulkOpConflictError('a reason is required for a bulk operation; it goes into the audit log');
  if (!(input.ratePerSecond > 0 && input.ratePerSecond <= BULK_RATE_MAX)) throw new BulkOpConflictError(`the rate must be above 0 and at most ${BULK_RATE_MAX} entries/s`);
  const selection = storedSelection(input.selection);
  const { db } = deps;
  const maxId = (await db.deadLetter.aggregate({ _max: { id: true } }))._max.id ?? 0n;
  const total = await db.deadLetter.count({ where: selectionWhere(selection, maxId) });
  if (total === 0) throw new BulkOpConflictError('no pending dead letters match this selection; there is nothing to do');
  if (total > input.confirmedCount) {
    throw new BulkOpConflictError(`${total} pending entries match now, more than the ${input.confirmedCount} you confirmed; preview and confirm again`);
  }
  const id = `${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(5).toString('hex')}`;
  const workflowId = deadLetterBulkWorkflowId(id);
  const op = await db.$transaction(async (tx) => {
    const created = await tx.deadLetterBulkOp.create({
      data: { id, kind: input.kind, selection, maxId, reason, ratePerSecond: input.ratePerSecond, total, cursor: 0n, startedBy: actor.id, startedByRole: actor.role, workflowId },
    });
    await recordAudit(tx, {
      actor,
      action: 'dead_letter.bulk_op.started',
      target: `dead_letter_bulk_op:${id}`,
      reason,
      details: { kind: input.kind, selection, total, ratePerSecond: input.ratePerSecond, workflowId },
    });
    return created;
  });
  try {
    const args: DeadLetterBulkInput = { opId: id, ratePerSecond: input.ratePerSecond, ...deps.workflow };
    await deps.temporal.workflow.start(WORKFLOW_TYPES.deadLetterBulk, { taskQueue: deps.taskQueue ?? TASK_QUEUES.deadLetterBulk, workflowId, args: [args] });
  } catch (err) {
    await db.deadLetterBulkOp.update({ where: { id }, data: { status: 'failed', error: `the workflow did not start: ${err instanceof Error ? err.message : String(err)}`, finishedAt: new Date(), updatedAt: new Date() } });
    throw err;
  }
  return toBulkOpView(op);
}

/**
 * Asks a running op to stop after the entries in hand (its workflow's `cancel` signal); the workflow audits
 * `dead_letter.bulk_op.cancelled` when it has stopped. An op whose workflow is gone is closed here instead.
 */
export async function cancelBulkOp(deps: Pick<BulkOpDeps, 'db' | 'temporal'>, opId: string, actor: Actor): Promise<BulkOpView> {
  const { db } = deps;
  const op = await db.deadLetterBulkOp.findUnique({ where: { id: opId } });
  if (!op) throw new BulkOpNotFoundError(opId);
  if (op.status !== 'running') throw new BulkOpConflictError(`bulk operation ${opId} is ${op.status}, not running`);
  await db.deadLetterBulkOp.updateMany({ where: { id: opId, cancelRequestedAt: null }, data: { cancelRequestedBy: actor.id, cancelRequestedAt: new Date(), updatedAt: new Date() } });
  try {
    await deps.temporal.workflow.getHandle(op.workflowId).signal(deadLetterBulkCancelSignal, { id: actor.id, role: actor.role });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    await closeBulkOp(db, opId, { outcome: 'cancelled', by: { id: actor.id, role: actor.role } });
  }
  return toBulkOpView(await db.deadLetterBulkOp.findUniqueOrThrow({ where: { id: opId } }));
}

export type BulkOpOutcome = { outcome: 'finished' } | { outcome: 'cancelled'; by: { id: string; role: string } } | { outcome: 'failed'; error: string };

/**
 * Ends a running op once (finished, cancelled or failed), releases its claims and audits it. A second call, or one
 * for an op already ended, changes nothing.
 */
export async function closeBulkOp(db: PrismaClient, opId: string, end: BulkOpOutcome): Promise<void> {
  await db.$transaction(async (tx) => {
    const now = new Date();
    const updated = await tx.deadLetterBulkOp.updateManyAndReturn({
      where: { id: opId, status: 'running' },
      data: { status: end.outcome, finishedAt: now, updatedAt: now, ...(end.outcome === 'failed' ? { error: end.error } : {}) },
    });
    const op = updated[0];
    if (!op) return;
    await tx.deadLetterBulkClaim.deleteMany({ where: { opId } });
    const counts = { done: op.done, succeeded: op.succeeded, superseded: op.superseded, failed: op.failed, skipped: op.skipped };
    await recordAudit(tx, {
      actor: end.outcome === 'cancelled' ? end.by : { id: op.startedBy, role: op.startedByRole },
      action: `dead_letter.bulk_op.${end.outcome}`,
      target: `dead_letter_bulk_op:${opId}`,
      reason: end.outcome === 'failed' ? end.error : `${op.kind} of ${op.done} of ${op.total} entries: ${op.succeeded} ${op.kind === 'replay' ? 'replayed' : 'discarded'}, ${op.superseded} superseded, ${op.failed} failed, ${op.skipped} skipped`,
      details: { kind: op.kind, counts, total: op.total, workflowId: op.workflowId },
    });
  });
}

// ─── Reading ───────────────────────────────────────────────────────────────────────────────────────────

/** An op as the console shows it (ids as strings, dates as Dates; JSON turns them into ISO strings). */
export interface BulkOpView {
  id: string;
  kind: DeadLetterBulkKind;
  status: DeadLetterBulkStatus;
  /** Running, with a cancel requested and not yet stopped. */
  cancelling: boolean;
  selection: StoredSelection;
  reason: string;
  ratePerSecond: number;
  total: number;
  done: number;
  succeeded: number;
  superseded: number;
  failed: number;
  skipped: number;
  /** Entries per second so far (done over the time since the start, or until the end). */
  rate: number;
  startedBy: string;
  startedByRole: string;
  workflowId: string;
  /** The op's workflow in the Temporal UI: its latest run, the one working now (it continues-as-new as it pages). */
  workflowUrl: string;
  cancelRequestedBy: string | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export function toBulkOpView(op: DeadLetterBulkOp): BulkOpView {
  const seconds = ((op.finishedAt ?? new Date()).getTime() - op.createdAt.getTime()) / 1000;
  const parsed = storedSelectionSchema.safeParse(op.selection);
  return {
    id: op.id,
    kind: op.kind,
    status: op.status,
    cancelling: op.status === 'running' && op.cancelRequestedAt !== null,
    selection: parsed.success ? parsed.data : { filter: {} },
    reason: op.reason,
    ratePerSecond: op.ratePerSecond,
    total: op.total,
    done: op.done,
    succeeded: op.succeeded,
    superseded: op.superseded,
    failed: op.failed,
    skipped: op.skipped,
    rate: seconds > 0 ? Math.round((op.done / seconds) * 10) / 10 : 0,
    startedBy: op.startedBy,
    startedByRole: op.startedByRole,
    workflowId: op.workflowId,
    workflowUrl: temporalWorkflowUrl({ uiUrl: env().TEMPORAL_UI_URL, namespace: env().TEMPORAL_NAMESPACE }, op.workflowId),
    cancelRequestedBy: op.cancelRequestedBy,
    error: op.error,
    createdAt: op.createdAt,
    updatedAt: op.updatedAt,
    finishedAt: op.finishedAt,
  };
}

/** Running ops first, then the most recent others. */
export async function listBulkOps(db: PrismaClient, { limit = 20 }: { limit?: number } = {}): Promise<BulkOpView[]> {
  const [running, ended] = await Promise.all([
    db.deadLetterBulkOp.findMany({ where: { status: 'running' }, orderBy: { createdAt: 'desc' }, take: limit }),
    db.deadLetterBulkOp.findMany({ where: { status: { not: 'running' } }, orderBy: { createdAt: 'desc' }, take: limit }),
  ]);
  return [...running, ...ended].slice(0, Math.max(limit, running.length)).map(toBulkOpView);
}

export interface BulkResultView {
  deadLetterId: string;
  result: DeadLetterBulkResult;
  detail: string | null;
  processedAt: Date;
}

/** One op with a page of its per-entry results, by entry id from `after`. */
export async function getBulkOp(
  db: PrismaClient,
  opId: string,
  { after, limit = 100 }: { after?: string; limit?: number } = {},
): Promise<{ op: BulkOpView; results: BulkResultView[]; nextAfter: string | null }> {
  const op = await db.deadLetterBulkOp.findUnique({ where: { id: opId } });
  if (!op) throw new BulkOpNotFoundError(opId);
  const rows = await db.deadLetterBulkResultRow.findMany({
    where: { opId, ...(after ? { deadLetterId: { gt: BigInt(after) } } : {}) },
    orderBy: { deadLetterId: 'asc' },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  const results = page.map((row) => ({ deadLetterId: row.deadLetterId.toString(), result: row.result, detail: row.detail, processedAt: row.processedAt }));
  return { op: toBulkOpView(op), results, nextAfter: rows.length > limit ? (results.at(-1)?.deadLetterId ?? null) : null };
}

/** The workflow's own view of its progress (the `progress` query), for a client that did not start it. */
export async function queryBulkProgress(temporal: Client, opId: string): Promise<DeadLetterBulkProgress> {
  return temporal.workflow.getHandle(deadLetterBulkWorkflowId(opId)).query(deadLetterBulkProgressQuery);
}
