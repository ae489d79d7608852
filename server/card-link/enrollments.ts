import { WorkflowNotFoundError, type Client, type WorkflowExecutionInfo, type WorkflowExecutionStatusName } from '@temporalio/client';
import type { Actor } from '../auth/actor.ts';
import { recordAudit } from '../audit/audit-row.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { searchAttributes, WORKFLOW_TYPES, progressQuery, reconciliationAnswerSignal, reconciliationWorkflowId, type CardLinkProgress } from '../temporal/contract.ts';
import { customerIdSchema, manualResolutionSchema, type ManualResolution } from './requests.ts';

export interface Enrollment {
  workflowId: string;
  runId: string;
  status: WorkflowExecutionStatusName;
  partnerId: string | null;
  linkStatus: string | null;
  startTime: string;
  closeTime: string | null;
  /** From the workflow's progress query; null when the query failed (see progressError). */
  progress: CardLinkProgress | null;
  progressError?: string;
}

/** 422. */
export class InvalidEnrollmentQueryError extends Error {
  override name = 'InvalidEnrollmentQueryError';
}

/** 404. */
export class EnrollmentNotFoundError extends Error {
  override name = 'EnrollmentNotFoundError';
  constructor(readonly workflowId: string) {
    super(`no card-link enrollment ${workflowId}`);
  }
}

/** 403. */
export class ActionNotAllowedError extends Error {
  override name = 'ActionNotAllowedError';
}

/** 409: the enrollment has no reconciliation running (not a multi-match, or already settled). */
export class NoPendingReconciliationError extends Error {
  override name = 'NoPendingReconciliationError';
  constructor(readonly workflowId: string) {
    super(`card link ${workflowId} has no multi-match waiting for an answer`);
  }
}

const MAX_ENROLLMENTS = 100;
const QUERY_TIMEOUT_MS = 3000;
const CARD_LINK_WORKFLOW_ID = /^card-link:[A-Za-z0-9_.:-]{1,200}$/;

/** Visibility string literal. Ids are validated to a quote-free alphabet first; escaping is the second line. */
export function visibilityString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function enrollmentsQuery(customerId: string): string {
  const parsed = customerIdSchema.safeParse(customerId);
  if (!parsed.success) throw new InvalidEnrollmentQueryError(parsed.error.issues[0]?.message ?? 'invalid customerId');
  return `WorkflowType = ${visibilityString(WORKFLOW_TYPES.cardLink)} AND CustomerId = ${visibilityString(parsed.data)}`;
}

/** Every card-link workflow of a customer, newest first, each with its progress (a failing query spoils only its row). */
export async function listEnrollments(client: Client, customerId: string): Promise<Enrollment[]> {
  const executions: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query: enrollmentsQuery(customerId), pageSize: MAX_ENROLLMENTS })) {
    executions.push(execution);
    if (executions.length >= MAX_ENROLLMENTS) break;
  }
  // SQL visibility (the dev server) ignores ORDER BY; sort here.
  executions.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  return Promise.all(executions.map((execution) => withProgress(client, execution)));
}

/** One enrollment, for the detail view. */
export async function getEnrollment(client: Client, workflowId: string): Promise<Enrollment> {
  if (!CARD_LINK_WORKFLOW_ID.test(workflowId)) throw new InvalidEnrollmentQueryError(`${workflowId} is not a card-link workflow id`);
  let execution: ExecutionSummary & { type: string };
  try {
    execution = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new EnrollmentNotFoundError(workflowId);
    throw err;
  }
  if (execution.type !== WORKFLOW_TYPES.cardLink) throw new EnrollmentNotFoundError(workflowId);
  return withProgress(client, execution);
}

type ExecutionSummary = Pick<WorkflowExecutionInfo, 'workflowId' | 'runId' | 'status' | 'typedSearchAttributes' | 'startTime' | 'closeTime'>;

async function withProgress(client: Client, execution: ExecutionSummary): Promise<Enrollment> {
  const attributes = execution.typedSearchAttributes;
  const enrollment: Enrollment = {
    workflowId: execution.workflowId,
    runId: execution.runId,
    status: execution.status.name,
    partnerId: attributes.get(searchAttributes.partnerId) ?? null,
    linkStatus: attributes.get(searchAttributes.linkStatus) ?? null,
    startTime: execution.startTime.toISOString(),
    closeTime: execution.closeTime?.toISOString() ?? null,
    progress: null,
  };
  try {
    // A closed workflow is queried by replaying it on a worker: bounded, so one slow replay cannot stall the list.
    enrollment.progress = await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
      client.workflow.getHandle(execution.workflowId, execution.runId).query(progressQuery),
    );
  } catch (err) {
    enrollment.progressError = err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
  return enrollment;
}

// ─── Guarded action ────────────────────────────────────────────────────────────────────────────────────

const RESOLVERS: readonly Actor['role'][] = ['support', 'admin'];

export const RESOLVE_MULTI_MATCH_ACTION = 'card_link.resolve_multi_match';

/**
 * A multi-match is waiting for an answer: the link runs and sits at its reconcile step. When the progress query
 * failed, the LinkStatus search attribute decides; the signal itself still needs a running reconciliation.
 */
export function isReconciliationPending(enrollment: Pick<Enrollment, 'status' | 'progress' | 'linkStatus'>): boolean {
  if (enrollment.status !== 'RUNNING') return false;
  if (enrollment.progress) return enrollment.progress.currentStep === 'reconcile';
  return enrollment.linkStatus === 'pending_reconciliation';
}


/**
 * A support agent settles a multi-match by hand: signals the reconciliation like a partner's webhook would, and
 * audits who, what and why. The audit row commits only if the signal was delivered.
 */
export async function resolveMultiMatchByHand(
  client: Client,
  db: Pick<PrismaClient, '$transaction'>,
  workflowId: string,
  resolution: ManualResolution,
  actor: Actor,
): Promise<{ reconciliationWorkflowId: string; matched: boolean }> {
  if (!RESOLVERS.includes(actor.role)) {
    throw new ActionNotAllowedError(`role ${actor.role} may not resolve a multi-match (support or admin only)`);
  }
  if (!CARD_LINK_WORKFLOW_ID.test(workflowId)) throw new InvalidEnrollmentQueryError(`${workflowId} is not a card-link workflow id`);
  const { matched, reason } = manualResolutionSchema.parse(resolution);
  const target = reconciliationWorkflowId(workflowId);
  // Refused before anything is audited when the link is not at its reconcile step (settled, or never a multi-match).
  if (!isReconciliationPending(await getEnrollment(client, workflowId))) throw new NoPendingReconciliationError(workflowId);

  await db.$transaction(async (tx) => {
    await recordAudit(tx, {
      actor,
      action: RESOLVE_MULTI_MATCH_ACTION,
      target: `workflow:${workflowId}`,
      reason,
      details: { matched, reconciliationWorkflowId: target },
    });
    try {
      await client.workflow.getHandle(target).signal(reconciliationAnswerSignal, { matched, reason, resolvedBy: actor.id });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new NoPendingReconciliationError(workflowId);
      throw err;
    }
  });
  return { reconciliationWorkflowId: target, matched };
}

export interface ManualResolutionRecord {
  id: string;
  at: string;
  actor: string;
  actorRole: string;
  matched: boolean | null;
  reason: string | null;
}

/** Who resolved this card link's multi-match by hand, when and why (from the audit log), oldest first. */
export async function manualResolutions(db: Pick<PrismaClient, 'auditLog'>, workflowId: string): Promise<ManualResolutionRecord[]> {
  const rows = await db.auditLog.findMany({
    where: { action: RESOLVE_MULTI_MATCH_ACTION, target: `workflow:${workflowId}` },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: 20,
  });
  return rows.map((row) => {
    const details = row.details && typeof row.details === 'object' && !Array.isArray(row.details) ? row.details : {};
    return {
      id: row.id.toString(),
      at: row.createdAt.toISOString(),
      actor: row.actor,
      actorRole: row.actorRole,
      matched: typeof details.matched === 'boolean' ? details.matched : null,
      reason: row.reason,
    };
  });
}
