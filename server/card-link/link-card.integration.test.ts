import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { eventually } from '../testing/eventually.ts';
import { startCardLinkTestStack, type CardLinkTestStack } from '../../worker/testing/card-link-test-stack.ts';
import { cardLinkWorkflowId, reconciliationAnswerSignal, reconciliationWorkflowId } from '../temporal/contract.ts';
import { DecisionPendingError, linkCard, TemporalUnavailableError, UnknownCustomerError } from './link-card.ts';
import { testCardRequest } from '../testing/card-requests.ts';
import type { CardLinkRequest } from './requests.ts';

let stack: CardLinkTestStack;
beforeAll(async () => {
  stack = await startCardLinkTestStack('link-card');
});
afterAll(async () => {
  await stack?.stop();
});

/** A Chase card the sandbox answers for by last4: 0002 not eligible, 0003 multi-match, anything else eligible. */
function chaseCard(customerId: string, last4 = '4242'): CardLinkRequest {
  return testCardRequest(customerId, { last4 });
}

async function linksOf(customerId: string) {
  return db().membershipLink.findMany({ where: { customerId } });
}

async function liveSubscriptionsOf(customerId: string) {
  return db().dashPassSubscription.findMany({ where: { customerId, status: { in: ['active', 'provisional'] } } });
}

describe('linkCard (Update-With-Start on the card-link workflow)', () => {
  it('answers linked for an eligible card, with the link and an active subscription written', async () => {
    const customerId = await stack.customer();
    const request = chaseCard(customerId);

    const result = await linkCard(stack.linkDeps, request);

    expect(result).toMatchObject({ status: 'linked', partnerId: 'chase', workflowId: cardLinkWorkflowId(customerId, request.card.fingerprint) });
    const links = await linksOf(customerId);
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ status: 'active', workflowId: result.workflowId, partnerId: 'chase' });
    expect(await liveSubscriptionsOf(customerId)).toHaveLength(1);
    const stored = await db().paymentMethod.findUniqueOrThrow({ where: { customerId_fingerprint: { customerId, fingerprint: request.card.fingerprint } } });
    expect(stored).toMatchObject({ bin: '414721', last4: '4242', country: 'US', network: 'visa' });
  });

  it('answers not_eligible with the partner reason, and writes no link', async () => {
    const customerId = await stack.customer();

    const result = await linkCard(stack.linkDeps, chaseCard(customerId, '0002'));

    expect(result).toMatchObject({ status: 'not_eligible', partnerId: 'chase', reason: 'account_not_in_good_standing' });
    expect(await linksOf(customerId)).toHaveLength(0);
  });

  it('answers pending_reconciliation for a multi-match while the reconciliation keeps running', async () => {
    const customerId = await stack.customer();

    const result = await linkCard(stack.linkDeps, chaseCard(customerId, '0003'));

    expect(result).toMatchObject({ status: 'pending_reconciliation', partnerId: 'chase' });
    if (result.status !== 'pending_reconciliation') throw new Error('unreachable');
    expect(result.matchReference).not.toBe('');
    const description = await stack.client.workflow.getHandle(result.workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(await linksOf(customerId)).toMatchObject([{ status: 'pending_reconciliation', partnerReference: result.matchReference }]);
    // Answer it as the partner would, so nothing is left running.
    const reconciliation = stack.client.workflow.getHandle(reconciliationWorkflowId(result.workflowId));
    await eventually('the reconciliation to take the answer', () =>
      reconciliation.signal(reconciliationAnswerSignal, { matched: false, reason: 'test_done', resolvedBy: 'test' }).then(
        () => true,
        () => false,
      ),
    );
    expect(await stack.client.workflow.getHandle(result.workflowId).result()).toMatchObject({ status: 'reconciliation_failed' });
  });

  it('attaches a concurrent double submit to the same workflow: one link, one subscription', async () => {
    const customerId = await stack.customer();
    const request = chaseCard(customerId);

    const [first, second] = await Promise.all([linkCard(stack.linkDeps, request), linkCard(stack.linkDeps, request)]);

    expect(second).toEqual(first);
    expect(first.status).toBe('linked');
    expect(await linksOf(customerId)).toHaveLength(1);
    expect(await liveSubscriptionsOf(customerId)).toHaveLength(1);
    expect(await db().paymentMethod.count({ where: { customerId } })).toBe(1);
  });

  it('returns the recorded outcome when the same card is submitted after its workflow completed, without a new run', async () => {
    const customerId = await stack.customer();
    const request = chaseCard(customerId);
    const first = await linkCard(stack.linkDeps, request);
    const handle = stack.client.workflow.getHandle(first.workflowId);
    await handle.result();
    const { runId } = await handle.describe();

    const retried = await linkCard(stack.linkDeps, request);

    expect(retried).toEqual(first);
    expect((await handle.describe()).runId).toBe(runId);
    expect(await linksOf(customerId)).toHaveLength(1);
    expect(await liveSubscriptionsOf(customerId)).toHaveLength(1);
  });

  it('refuses an unknown customer before starting anything', async () => {
    const request = chaseCard(`it-nobody-${randomUUID().slice(0, 12)}`);

    await expect(linkCard(stack.linkDeps, request)).rejects.toBeInstanceOf(UnknownCustomerError);

    const workflowId = cardLinkWorkflowId(request.customerId, request.card.fingerprint);
    await expect(stack.client.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('says the decision is pending when no worker decides in time; the workflow keeps the request', async () => {
    const customerId = await stack.customer();
    const request = chaseCard(customerId);
    const deps = { ...stack.linkDeps, taskQueue: `no-worker-${randomUUID()}`, decisionTimeoutMs: 1500 };

    const failure = await linkCard(deps, request).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(DecisionPendingError);
    const handle = stack.client.workflow.getHandle(cardLinkWorkflowId(customerId, request.card.fingerprint));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test done');
  });

  it('reports Temporal as unavailable when it cannot be reached', async () => {
    const customerId = await stack.customer();
    // Nothing listens on port 9 (discard); the lazy connection fails on first use, like the console's.
    const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) });

    await expect(linkCard({ ...stack.linkDeps, temporal: unreachable, decisionTimeoutMs: 1500 }, chaseCard(customerId))).rejects.toBeInstanceOf(
      TemporalUnavailableError,
    );
  });
});
