import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PrismaClient } from '../db/generated/client.ts';
import { reconciliationAnswerSignal, reconciliationWorkflowId } from '../temporal/contract.ts';
import type { ReconciliationWebhookBody } from './partners/partner-api.ts';

export { reconciliationWebhookBody } from './partners/partner-api.ts';

/** 422: the body names another partner than the URL. */
export class WebhookPartnerMismatchError extends Error {
  override name = 'WebhookPartnerMismatchError';
  constructor(
    readonly pathPartnerId: string,
    readonly bodyPartnerId: string,
  ) {
    super(`the webhook URL is for partner ${pathPartnerId}, but the body names ${bodyPartnerId}`);
  }
}

/** 404. */
export class UnknownPartnerReferenceError extends Error {
  override name = 'UnknownPartnerReferenceError';
  constructor(
    readonly partnerId: string,
    readonly reference: string,
  ) {
    super(`no membership link of partner ${partnerId} has reference ${reference}`);
  }
}

/**
 * 503 with Retry-After: the link is still pending but its reconciliation workflow is not running yet (the
 * answer overtook the workflow that waits for it). The partner's retry will find it.
 */
export class ReconciliationNotReadyError extends Error {
  override name = 'ReconciliationNotReadyError';
  constructor(readonly workflowId: string) {
    super(`reconciliation ${workflowId} is not running yet`);
  }
}

export interface PartnerWebhookDeps {
  db: Pick<PrismaClient, 'membershipLink'>;
  temporal: Client;
}

export type PartnerWebhookResult =
  /** The answer was signalled to the running reconciliation (202). */
  | { status: 'signalled'; workflowId: string; linkId: string }
  /** The multi-match was already settled: a repeated or late webhook, acknowledged without effect (200). */
  | { status: 'already_resolved'; workflowId: string; linkId: string; linkStatus: string };

/**
 * A partner's asynchronous answer to a multi-match: finds the link by the partner's reference and signals
 * the reconciliation workflow, which owns every write. Safe to repeat.
 */
export async function receivePartnerWebhook(
  deps: PartnerWebhookDeps,
  pathPartnerId: string,
  body: ReconciliationWebhookBody,
): Promise<PartnerWebhookResult> {
  if (body.partnerId !== pathPartnerId) throw new WebhookPartnerMismatchError(pathPartnerId, body.partnerId);
  const link = await deps.db.membershipLink.findFirst({
    where: { partnerId: body.partnerId, partnerReference: body.reference },
    orderBy: { createdAt: 'desc' },
    select: { linkId: true, workflowId: true, status: true },
  });
  if (!link) throw new UnknownPartnerReferenceError(body.partnerId, body.reference);

  const workflowId = reconciliationWorkflowId(link.workflowId);
  if (link.status !== 'pending_reconciliation') {
    return { status: 'already_resolved', workflowId, linkId: link.linkId, linkStatus: link.status };
  }
  try {
    await deps.temporal.workflow.getHandle(workflowId).signal(reconciliationAnswerSignal, {
      matched: body.matched,
      ...(body.reason === undefined ? {} : { reason: body.reason }),
      resolvedBy: `partner:${body.partnerId}`,
    });
    return { status: 'signalled', workflowId, linkId: link.linkId };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // Not running: either it finished between our read and the signal, or it has not started yet.
    const now = await deps.db.membershipLink.findUnique({ where: { linkId: link.linkId }, select: { status: true } });
    if (now && now.status !== 'pending_reconciliation') {
      return { status: 'already_resolved', workflowId, linkId: link.linkId, linkStatus: now.status };
    }
    throw new ReconciliationNotReadyError(workflowId);
  }
}
