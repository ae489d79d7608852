import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { db } from '../db/client.ts';
import { searchAttributes, WORKFLOW_TYPES, reconciliationWorkflowId, type LinkOutcome } from '../temporal/contract.ts';
import { eventually } from '../testing/eventually.ts';
import { startCardLinkTestStack, type CardLinkTestStack } from '../../worker/testing/card-link-test-stack.ts';
import {
  ActionNotAllowedError,
  EnrollmentNotFoundError,
  getEnrollment,
  listEnrollments,
  manualResolutions,
  NoPendingReconciliationError,
  resolveMultiMatchByHand,
} from './enrollments.ts';
import { startDemoCardLinks } from './demo-links.ts';
import { demoFingerprint, type DemoCard } from './seed.ts';
import { linkCard, type LinkCardResult } from './link-card.ts';
import { testCardRequest } from '../testing/card-requests.ts';
import { receivePartnerWebhook, UnknownPartnerReferenceError, WebhookPartnerMismatchError } from './partner-webhook.ts';
import { mismatchRates, recentMismatches, shadowOverview } from './shadow.ts';

let stack: CardLinkTestStack;
beforeAll(async () => {
  stack = await startCardLinkTestStack('enrollments');
});
afterAll(async () => {
  await stack?.stop();
});

async function link(customerId: string, last4: string): Promise<LinkCardResult> {
  return linkCard(stack.linkDeps, testCardRequest(customerId, { last4 }));
}

async function pendingMultiMatch(customerId: string) {
  const result = await link(customerId, '0003');
  if (result.status !== 'pending_reconciliation') throw new Error(`expected a multi-match, got ${result.status}`);
  // The child starts right after the decision: wait until it runs, as a partner's answer would.
  await eventually('the reconciliation workflow to run', async () => {
    const description = await stack.client.workflow.getHandle(reconciliationWorkflowId(result.workflowId)).describe().catch(() => undefined);
    return description?.status.name === 'RUNNING';
  });
  return result;
}

/** Answers a pending multi-match as its partner would, so the test leaves nothing running. */
async function settle(result: LinkCardResult): Promise<void> {
  if (result.status !== 'pending_reconciliation') return;
  await receivePartnerWebhook({ db: db(), temporal: stack.client }, result.partnerId, {
    partnerId: result.partnerId,
    reference: result.matchReference,
    matched: false,
    reason: 'test_done',
  });
  await stack.client.workflow.getHandle(result.workflowId).result();
}

const finalOutcome = (workflowId: string) => stack.client.workflow.getHandle(workflowId).result() as Promise<LinkOutcome>;

describe('listEnrollments and getEnrollment', () => {
  it("finds exactly the customer's card links, newest first, with search attributes and progress", async () => {
    const customerId = await stack.customer();
    const otherCustomer = await stack.customer();
    const multi = await pendingMultiMatch(customerId);
    const declined = await link(customerId, '0002');
    // The multi-match holds a provisional subscription: a second eligible card gets no second one.
    const alreadySubscribed = await link(customerId, '4242');
    await link(otherCustomer, '4242');
    expect(alreadySubscribed).toMatchObject({ status: 'not_eligible', reason: 'customer_already_subscribed' });

    // Visibility is eventually consistent; the multi-match's child carries CustomerId too but is no enrollment.
    const enrollments = await eventually('three enrollments with their final search attributes', async () => {
      const found = await listEnrollments(stack.client, customerId);
      return found.length === 3 && found.every((e) => e.linkStatus !== 'in_progress' && e.partnerId) ? found : undefined;
    });

    expect(enrollments.map((e) => e.workflowId)).toEqual([alreadySubscribed.workflowId, declined.workflowId, multi.workflowId]);
    const byId = new Map(enrollments.map((e) => [e.workflowId, e]));
    expect(byId.get(declined.workflowId)).toMatchObject({ status: 'COMPLETED', partnerId: 'chase', linkStatus: 'not_eligible' });
    expect(byId.get(multi.workflowId)).toMatchObject({ status: 'RUNNING', partnerId: 'chase', linkStatus: 'pending_reconciliation', closeTime: null });
    for (const enrollment of enrollments) {
      expect(enrollment.progressError).toBeUndefined();
      expect(enrollment.progress?.customerId).toBe(customerId);
      expect(enrollment.progress?.card.network).toBe('visa');
      expect(enrollment.progress?.card.last4).toMatch(/^\d{4}$/);
    }
    expect(byId.get(declined.workflowId)?.progress?.outcome).toMatchObject({ status: 'not_eligible', reason: 'account_not_in_good_standing' });
    expect(byId.get(multi.workflowId)?.progress?.currentStep).toBe('reconcile');

    await settle(multi);
  });

  it('shows one enrollment in detail, and says when there is none', async () => {
    const customerId = await stack.customer();
    const linked = await link(customerId, '4242');
    await finalOutcome(linked.workflowId);

    const detail = await getEnrollment(stack.client, linked.workflowId);

    expect(detail).toMatchObject({ workflowId: linked.workflowId, status: 'COMPLETED' });
    expect(detail.closeTime).not.toBeNull();
    expect(detail.progress).toMatchObject({ currentStep: 'done', outcome: { status: 'linked', partnerId: 'chase' } });
    expect(detail.progress?.completed.map((step) => step.step)).toEqual(['validate_card', 'select_partner', 'check_eligibility', 'create_link', 'complete']);
    await expect(getEnrollment(stack.client, `card-link:${customerId}:fp_missing`)).rejects.toBeInstanceOf(EnrollmentNotFoundError);
  });

  it('returns a row whose progress query fails with an error instead of failing the list', async () => {
    const customerId = await stack.customer();
    const linked = await link(customerId, '4242');
    // A card-link workflow no worker serves: listed by visibility, but nothing can answer its query.
    const orphan = await stack.client.workflow.start(WORKFLOW_TYPES.cardLink, {
      workflowId: `card-link:${customerId}:fp_orphan`,
      taskQueue: `no-worker-${randomUUID()}`,
      args: [],
      typedSearchAttributes: [{ key: searchAttributes.customerId, value: customerId }],
    });

    const enrollments = await eventually('both enrollments listed', async () => {
      const found = await listEnrollments(stack.client, customerId);
      return found.length === 2 ? found : undefined;
    });

    const failed = enrollments.find((e) => e.workflowId === orphan.workflowId);
    expect(failed).toMatchObject({ status: 'RUNNING', progress: null });
    expect(failed?.progressError).toBeTruthy();
    expect(enrollments.find((e) => e.workflowId === linked.workflowId)?.progress?.outcome).toMatchObject({ status: 'linked' });
    await orphan.terminate('test done');
  });
});

describe('partner webhook → reconciliation signal', () => {
  it('signals the reconciliation, which links the card; a repeated webhook is a no-op', async () => {
    const customerId = await stack.customer();
    const multi = await pendingMultiMatch(customerId);
    if (multi.status !== 'pending_reconciliation') throw new Error('unreachable');
    const deps = { db: db(), temporal: stack.client };
    const body = { partnerId: 'chase', reference: multi.matchReference, matched: true };

    const first = await receivePartnerWebhook(deps, 'chase', body);

    expect(first).toMatchObject({ status: 'signalled', workflowId: reconciliationWorkflowId(multi.workflowId), linkId: multi.linkId });
    expect(await finalOutcome(multi.workflowId)).toMatchObject({ status: 'linked', linkId: multi.linkId, partnerId: 'chase' });
    expect(await db().membershipLink.findUniqueOrThrow({ where: { linkId: multi.linkId } })).toMatchObject({ status: 'active' });

    const repeated = await receivePartnerWebhook(deps, 'chase', body);
    expect(repeated).toMatchObject({ status: 'already_resolved', linkStatus: 'active' });
  });

  it('refuses an unknown reference and a body for another partner', async () => {
    const deps = { db: db(), temporal: stack.client };
    await expect(receivePartnerWebhook(deps, 'chase', { partnerId: 'chase', reference: `nope-${randomUUID()}`, matched: true })).rejects.toBeInstanceOf(
      UnknownPartnerReferenceError,
    );
    await expect(receivePartnerWebhook(deps, 'rbc', { partnerId: 'chase', reference: 'x', matched: true })).rejects.toBeInstanceOf(
      WebhookPartnerMismatchError,
    );
  });
});

describe('resolveMultiMatchByHand', () => {
  it('lets support settle a multi-match, audited with the reason; refuses other roles, no reason, and a settled one', async () => {
    const customerId = await stack.customer();
    const multi = await pendingMultiMatch(customerId);
    const agent = { id: `agent-${randomUUID().slice(0, 8)}`, role: 'support' as const };
    const audits = () => db().auditLog.findMany({ where: { actor: agent.id, action: 'card_link.resolve_multi_match' } });

    await expect(
      resolveMultiMatchByHand(stack.client, db(), multi.workflowId, { matched: false, reason: 'customer asked' }, { id: agent.id, role: 'associate' }),
    ).rejects.toBeInstanceOf(ActionNotAllowedError);
    await expect(resolveMultiMatchByHand(stack.client, db(), multi.workflowId, { matched: false, reason: '  ' }, agent)).rejects.toBeInstanceOf(z.ZodError);
    expect(await audits()).toHaveLength(0);

    const resolved = await resolveMultiMatchByHand(stack.client, db(), multi.workflowId, { matched: false, reason: 'partner confirmed by phone: no account' }, agent);

    expect(resolved).toEqual({ reconciliationWorkflowId: reconciliationWorkflowId(multi.workflowId), matched: false });
    expect(await finalOutcome(multi.workflowId)).toMatchObject({ status: 'reconciliation_failed' });
    expect(await audits()).toMatchObject([
      { actorRole: 'support', target: `workflow:${multi.workflowId}`, reason: 'partner confirmed by phone: no account', details: { matched: false } },
    ]);

    await expect(resolveMultiMatchByHand(stack.client, db(), multi.workflowId, { matched: true, reason: 'second try' }, agent)).rejects.toBeInstanceOf(
      NoPendingReconciliationError,
    );
    expect(await audits()).toHaveLength(1);
    expect(await manualResolutions(db(), multi.workflowId)).toMatchObject([
      { actor: agent.id, actorRole: 'support', matched: false, reason: 'partner confirmed by phone: no account' },
    ]);
  });

  it('refuses, without auditing, a link that never multi-matched and one that does not exist', async () => {
    const customerId = await stack.customer();
    const linked = await link(customerId, '4242');
    await finalOutcome(linked.workflowId);
    const agent = { id: `agent-${randomUUID().slice(0, 8)}`, role: 'support' as const };

    await expect(resolveMultiMatchByHand(stack.client, db(), linked.workflowId, { matched: true, reason: 'by mistake' }, agent)).rejects.toBeInstanceOf(
      NoPendingReconciliationError,
    );
    await expect(
      resolveMultiMatchByHand(stack.client, db(), `card-link:${customerId}:fp_missing`, { matched: true, reason: 'by mistake' }, agent),
    ).rejects.toBeInstanceOf(EnrollmentNotFoundError);
    expect(await db().auditLog.count({ where: { actor: agent.id } })).toBe(0);
    expect(await manualResolutions(db(), linked.workflowId)).toEqual([]);
  });
});

describe('startDemoCardLinks', () => {
  it('starts a card link for each card without one, and leaves existing ones alone on the next run', async () => {
    const customerId = await stack.customer();
    const card = (last4: string, scenario: DemoCard['scenario']): DemoCard => ({
      paymentMethodId: `pm_${customerId}_${last4}`,
      customerId,
      bin: '414721',
      last4,
      country: 'US',
      network: 'visa',
      expMonth: 12,
      expYear: new Date().getUTCFullYear() + 2,
      partnerId: 'chase',
      scenario,
    });
    const cards = [card('4242', 'eligible'), card('0002', 'not_eligible')];
    const deps = { db: db(), temporal: stack.client, taskQueue: stack.taskQueue };

    const first = await startDemoCardLinks(deps, cards);
    expect(first).toMatchObject([
      { customerId, workflowId: `card-link:${customerId}:${demoFingerprint(cards[0]!.paymentMethodId)}`, result: 'started', detail: 'linked' },
      { customerId, result: 'started', detail: 'not_eligible' },
    ]);
    const second = await startDemoCardLinks(deps, cards);
    expect(second.map((entry) => entry.result)).toEqual(['exists', 'exists']);
  });
});

describe('shadow comparisons', () => {
  it('reports mismatch rates per partner and the latest mismatches', async () => {
    const partnerId = `shadow-${randomUUID().slice(0, 8)}`;
    // One clock reading for the rows and the window: a slow machine must not move rows out of it.
    const base = Date.now();
    const row = (matched: boolean, i: number) => ({
      partnerId,
      liveVersion: '1',
      candidateVersion: '2',
      customerId: `c-${i}`,
      workflowId: `card-link:c-${i}:fp`,
      liveDecision: { kind: 'eligible' },
      candidateDecision: matched ? { kind: 'eligible' } : { kind: 'not_eligible', reason: 'business_card' },
      matched,
      mismatchKinds: matched ? [] : ['eligibility'],
      createdAt: new Date(base - (10 - i) * 1000),
    });
    await db().shadowComparison.createMany({ data: [row(true, 1), row(false, 2), row(true, 3), row(false, 4)] });

    const rates = await mismatchRates(db());
    expect(rates.find((r) => r.partnerId === partnerId)).toEqual({ partnerId, comparisons: 4, mismatches: 2, rate: 0.5 });
    const recent = await mismatchRates(db(), { since: new Date(base - 7500) });
    expect(recent.find((r) => r.partnerId === partnerId)).toEqual({ partnerId, comparisons: 2, mismatches: 1, rate: 0.5 });

    const mismatches = await recentMismatches(db(), partnerId, 1);
    expect(mismatches).toMatchObject([{ partnerId, customerId: 'c-4', candidateDecision: { kind: 'not_eligible' }, mismatchKinds: ['eligibility'], liveLink: null }]);
    expect(typeof mismatches[0]?.id).toBe('string');
    expect(await recentMismatches(db(), partnerId, 20, { candidateVersion: '3' })).toEqual([]);

    // A partner not (or no longer) in the partners table still shows, per version pair.
    const overview = (await shadowOverview(db())).find((status) => status.partnerId === partnerId);
    expect(typeof overview?.versions[0]?.lastComparedAt).toBe('string');
    expect({ ...overview, versions: overview?.versions.map(({ lastComparedAt: _at, ...pair }) => pair) }).toEqual({
      partnerId,
      name: partnerId,
      liveVersion: null,
      candidateVersion: null,
      versions: [{ partnerId, liveVersion: '1', candidateVersion: '2', comparisons: 4, mismatches: 2, rate: 0.5, current: false, kinds: { eligibility: 2 } }],
    });
  });
});
