import {
  WithStartWorkflowOperation,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { PrismaClient } from '../db/generated/client.ts';
import { recordAudit } from '../audit/audit-row.ts';
import {
  searchAttributes,
  TASK_QUEUES,
  WORKFLOW_TYPES,
  cardUnlinkWorkflowId,
  unlinkUpdate,
  type CardUnlinkInput,
  type UnlinkOutcome,
} from '../temporal/contract.ts';
import { isTemporalUnavailable, TemporalUnavailableError } from './link-card.ts';
import type { UnlinkRequest } from './requests.ts';

/**
 * Unlinking a card, for the service API (`DELETE /api/card-links/<linkId>`) and support's console action. The
 * unlink workflow ends the link and its subscription and tells the partner; this starts it (or joins the one
 * running for the link) with Update-With-Start, waits until the link has ended here, and audits the call.
 */

export const UNLINK_ACTION = 'card_link.unlink';


/** 404. */
export class UnknownLinkError extends Error {
  override name = 'UnknownLinkError';
  constructor(readonly linkId: string) {
    super(`no card link ${linkId}`);
  }
}

/** 504: the unlink runs but did not answer in time; sending it again joins it. */
export class UnlinkPendingError extends Error {
  override name = 'UnlinkPendingError';
}

export interface UnlinkDeps {
  db: Pick<PrismaClient, 'membershipLink' | 'auditLog'>;
  temporal: Client;
  timeoutMs: number;
  /** Tests run their own worker on their own queue. */
  taskQueue?: string;
}

export interface UnlinkActor {
  id: string;
  role: string;
}

export type UnlinkResult = UnlinkOutcome & { workflowId: string; linkWorkflowId: string };

/** The link of a card-link workflow (the console's enrollments are keyed by workflow id), or null. */
export async function linkOfWorkflow(db: Pick<PrismaClient, 'membershipLink'>, workflowId: string) {
  return db.membershipLink.findFirst({
    where: { workflowId },
    orderBy: { createdAt: 'desc' },
    select: {
      linkId: true,
      status: true,
      endedReason: true,
      benefitStartsAt: true,
      benefitEndsAt: true,
      subscriptions: { orderBy: { createdAt: 'desc' }, take: 1, select: { subscriptionId: true, status: true, startsAt: true, endsAt: true, endedAt: true, endedReason: true } },
    },
  });
}

export async function unlinkCard(deps: UnlinkDeps, linkId: string, request: UnlinkRequest, actor: UnlinkActor, via: 'api' | 'console'): Promise<UnlinkResult> {
  const link = await deps.db.membershipLink.findUnique({ where: { linkId }, select: { customerId: true, workflowId: true } });
  if (!link || (request.customerId !== undefined && request.customerId !== link.customerId)) throw new UnknownLinkError(linkId);
  const reason = request.reason ?? (via === 'api' ? 'removed by the customer' : 'ended by support');
  const input: CardUnlinkInput = { linkId, reason, requestedBy: actor.id };
  const workflowId = cardUnlinkWorkflowId(linkId);
  const client = deps.temporal;
  const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPES.cardUnlink, {
    workflowId,
    taskQueue: deps.taskQueue ?? TASK_QUEUES.cardLink,
    args: [input],
    // A running unlink is joined; a finished one is started again, finds the link ended and says so.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [{ key: searchAttributes.customerId, value: link.customerId }],
  });
  let outcome: UnlinkOutcome;
  try {
    outcome = await client.withDeadline(Date.now() + deps.timeoutMs, () => client.workflow.executeUpdateWithStart(unlinkUpdate, { startWorkflowOperation }));
  } catch (err) {
    if (isTemporalUnavailable(err)) throw new TemporalUnavailableError('Temporal is unreachable: nothing was unlinked', { cause: err });
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw new UnlinkPendingError(`the unlink ${workflowId} did not answer within ${deps.timeoutMs} ms; it continues`, { cause: err });
    if (err instanceof WorkflowUpdateFailedError) throw new Error(`the unlink ${workflowId} failed: ${err.cause?.message ?? err.message}`, { cause: err });
    throw err;
  }
  await recordAudit(deps.db, {
    actor,
    action: UNLINK_ACTION,
    target: `workflow:${link.workflowId}`,
    reason,
    details: { via, linkId, status: outcome.status, unlinkWorkflowId: workflowId, endedSubscriptions: outcome.endedSubscriptions, endedReason: outcome.endedReason },
  });
  return { ...outcome, workflowId, linkWorkflowId: link.workflowId };
}

export interface UnlinkRecord {
  id: string;
  at: string;
  actor: string;
  actorRole: string;
  via: string | null;
  status: string | null;
  reason: string | null;
}

/** Every unlink of this card link (API and console), oldest first, from the audit log. */
export async function unlinkRecords(db: Pick<PrismaClient, 'auditLog'>, linkWorkflowId: string): Promise<UnlinkRecord[]> {
  const rows = await db.auditLog.findMany({
    where: { action: UNLINK_ACTION, target: `workflow:${linkWorkflowId}` },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: 20,
  });
  return rows.map((row) => {
    const details = row.details && typeof row.details === 'object' && !Array.isArray(row.details) ? (row.details as Record<string, unknown>) : {};
    return {
      id: row.id.toString(),
      at: row.createdAt.toISOString(),
      actor: row.actor,
      actorRole: row.actorRole,
      via: typeof details.via === 'string' ? details.via : null,
      status: typeof details.status === 'string' ? details.status : null,
      reason: row.reason,
    };
  });
}
