import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { startCardLinkTestStack, type CardLinkTestStack } from '../../worker/testing/card-link-test-stack.ts';
import { cardLinkWorkflowId, reconciliationAnswerSignal, reconciliationWorkflowId } from '../temporal/contract.ts';
import { ActionNotAllowedError } from './enrollments.ts';
import { linkCard, NothingToRecheckError, type LinkCardDeps } from './link-card.ts';
import { testCardRequest } from '../testing/card-requests.ts';
import type { CardLinkRequest } from './requests.ts';
import { SLOT_TAKEN_REASON } from './re-evaluation.ts';
import { RECHECK_ELIGIBILITY_ACTION, recheckEligibility } from './recheck.ts';

let stack: CardLinkTestStack;
beforeAll(async () => {
  stack = await startCardLinkTestStack('re-evaluation');
});
afterAll(async () => {
  await stack?.stop();
});

/** A Chase card the sandbox answers for by last4: 0002 not eligible, 0003 multi-match (unanswered here), others eligible. */
function chaseCard(customerId: string, last4 = '4242'): CardLinkRequest {
  return testCardRequest(customerId, { last4 });
}

const HOUR = 3_600_000;
const policy = { notEligibleAfterMs: 24 * HOUR, reconciliationFailedAfterMs: HOUR };
/** The same deps, with a clock `aheadMs` in the future: the cool-down is judged from the run's real close time. */
const later = (aheadMs: number): LinkCardDeps => ({ ...stack.linkDeps, reEvaluation: policy, now: () => new Date(Date.now() + aheadMs) });

async function runsOf(workflowId: string): Promise<number> {
  let runs = 0;
  for await (const execution of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) if (execution.workflowId === workflowId) runs += 1;
  return runs;
}

describe('re-evaluating a decided card', () => {
  it('answers the recorded decline during the cool-down, and evaluates again after it, once, under concurrent re-submissions', async () => {
    const customerId = await stack.customer();
    const request = chaseCard(customerId, '0002');
    const first = await linkCard(later(0), request);
    expect(first).toMatchObject({ status: 'not_eligible', workflowId: cardLinkWorkflowId(customerId, request.card.fingerprint) });
    await stack.client.workflow.getHandle(first.workflowId).result();

    expect(await linkCard(later(23 * HOUR), request)).toEqual(first);

    const again = await Promise.all(Array.from({ length: 10 }, () => linkCard(later(25 * HOUR), request)));
    const nextId = cardLinkWorkflowId(customerId, request.card.fingerprint, 1);
    expect(new Set(again.map((answer) => answer.workflowId))).toEqual(new Set([nextId]));
    expect(again.every((answer) => answer.status === 'not_eligible')).toBe(true);
    expect((await db().paymentMethod.findFirstOrThrow({ where: { customerId } })).linkGeneration).toBe(1);
    // The next generation's own cool-down starts at its decision: an immediate re-submission gets that decision.
    expect(await linkCard(later(0), request)).toMatchObject({ workflowId: nextId });
    expect(await linkCard(later(25 * HOUR), request)).toMatchObject({ workflowId: cardLinkWorkflowId(customerId, request.card.fingerprint, 2) });
  });

  it('never re-evaluates a linked card while its link lasts; once the link has ended, a re-submission links it again', async () => {
    const customerId = await stack.customer();
    const request = chaseCard(customerId);
    const first = await linkCard(later(0), request);
    expect(first.status).toBe('linked');
    await stack.client.workflow.getHandle(first.workflowId).result();
    expect(await linkCard(later(1000 * 24 * HOUR), request)).toEqual(first);
    expect(await db().membershipLink.count({ where: { customerId } })).toBe(1);

    // Ended as an unlink ends it: the link and its subscription, which frees the customer's slot.
    await db().$transaction([
      db().dashPassSubscription.updateMany({ where: { customerId }, data: { status: 'ended', activeCustomerId: null, endedAt: new Date(), endedReason: 'unlinked' } }),
      db().membershipLink.updateMany({ where: { customerId }, data: { status: 'ended', endedReason: 'unlinked' } }),
    ]);
    const relinked = await linkCard(later(0), request);
    expect(relinked).toMatchObject({ status: 'linked', workflowId: cardLinkWorkflowId(customerId, request.card.fingerprint, 1) });
    expect(await db().membershipLink.findMany({ where: { customerId } })).toMatchObject([{ status: 'active', workflowId: relinked.workflowId }]);
    expect(await db().dashPassSubscription.count({ where: { customerId, activeCustomerId: customerId } })).toBe(1);
  });

  it('re-evaluates a card declined for a taken slot right after the multi-match holding it is compensated', async () => {
    const customerId = await stack.customer();
    const multiMatch = await linkCard(later(0), chaseCard(customerId, '0003'));
    expect(multiMatch.status).toBe('pending_reconciliation');
    const second = chaseCard(customerId);
    const declined = await linkCard(later(0), second);
    expect(declined).toMatchObject({ status: 'not_eligible', reason: SLOT_TAKEN_REASON });
    await stack.client.workflow.getHandle(declined.workflowId).result();
    expect(await linkCard(later(0), second)).toEqual(declined);

    await stack.client.workflow.getHandle(reconciliationWorkflowId(multiMatch.workflowId)).signal(reconciliationAnswerSignal, { matched: false, reason: 'not_this_customer', resolvedBy: 'test' });
    expect(await stack.client.workflow.getHandle(multiMatch.workflowId).result()).toMatchObject({ status: 'reconciliation_failed' });

    const linked = await linkCard(later(0), second);
    expect(linked).toMatchObject({ status: 'linked', workflowId: cardLinkWorkflowId(customerId, second.card.fingerprint, 1) });
    expect(await db().dashPassSubscription.count({ where: { customerId, status: 'active' } })).toBe(1);
  });
});

describe('recheckEligibility (support)', () => {
  it('evaluates the latest decline again now, whatever its cool-down, and audits who, why and the outcome', async () => {
    const customerId = await stack.customer();
    const request = chaseCard(customerId, '0002');
    const first = await linkCard(later(0), request);
    await stack.client.workflow.getHandle(first.workflowId).result();
    const deps = { ...later(0), db: db() };
    const actor = { id: `support-${randomUUID().slice(0, 8)}`, role: 'support' as const };

    const rechecked = await recheckEligibility(deps, first.workflowId, { reason: 'partner reopened the account' }, actor);

    expect(rechecked).toMatchObject({ status: 'not_eligible', workflowId: cardLinkWorkflowId(customerId, request.card.fingerprint, 1) });
    expect(await runsOf(rechecked.workflowId)).toBe(1);
    const audit = await db().auditLog.findMany({ where: { actor: actor.id, action: RECHECK_ELIGIBILITY_ACTION } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ target: `workflow:${first.workflowId}`, reason: 'partner reopened the account', details: { previous: first.workflowId, workflowId: rechecked.workflowId, status: 'not_eligible' } });

    // The older evaluation is no longer the card's latest: re-checking it is refused, and nothing is audited.
    await expect(recheckEligibility(deps, first.workflowId, { reason: 'again' }, actor)).rejects.toBeInstanceOf(NothingToRecheckError);
    expect(await db().auditLog.count({ where: { actor: actor.id } })).toBe(1);
  });

  it('refuses a linked card, a role other than support or admin, and a missing reason', async () => {
    const customerId = await stack.customer();
    const linked = await linkCard(later(0), chaseCard(customerId));
    await stack.client.workflow.getHandle(linked.workflowId).result();
    const deps = { ...later(0), db: db() };
    await expect(recheckEligibility(deps, linked.workflowId, { reason: 'just checking' }, { id: 'a', role: 'support' })).rejects.toBeInstanceOf(NothingToRecheckError);
    await expect(recheckEligibility(deps, linked.workflowId, { reason: 'just checking' }, { id: 'a', role: 'associate' })).rejects.toBeInstanceOf(ActionNotAllowedError);
    await expect(recheckEligibility(deps, linked.workflowId, { reason: ' ' }, { id: 'a', role: 'admin' })).rejects.toThrow(/reason/);
    expect(await db().membershipLink.count({ where: { customerId } })).toBe(1);
  });
});
