import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { eventually } from '../testing/eventually.ts';
import { startCardLinkTestStack, type CardLinkTestStack } from '../../worker/testing/card-link-test-stack.ts';
import { cardUnlinkWorkflowId } from '../temporal/contract.ts';
import { linkCard } from './link-card.ts';
import { testCardRequest } from '../testing/card-requests.ts';
import type { CardLinkRequest } from './requests.ts';
import { UNLINK_ACTION, unlinkCard, unlinkRecords, UnknownLinkError } from './unlink-card.ts';

/** unlinkCard on the dev server (Update-With-Start), with the real activities, Postgres and the partner sandbox. */

let stack: CardLinkTestStack;
beforeAll(async () => {
  stack = await startCardLinkTestStack('unlink-card');
});
afterAll(async () => {
  await stack?.stop();
});

function card(customerId: string, bin = '414721', network = 'visa'): CardLinkRequest {
  return testCardRequest(customerId, { bin, network });
}

const deps = () => ({ db: db(), temporal: stack.client, timeoutMs: 20_000, taskQueue: stack.taskQueue });
const support = { id: 'it-support', role: 'support' };

async function unlinkCalls(partnerId: string): Promise<(number | 'hung')[]> {
  const { requests } = (await (await fetch(`${stack.sandbox.url}/_control/requests`)).json()) as { requests: { path: string; status: number | 'hung' }[] };
  return requests.filter((request) => request.path === `/partners/${partnerId}/unlinks`).map((request) => request.status);
}

describe('unlinkCard', () => {
  it('ends the link and the subscription, tells the partner once, audits each call; concurrent and repeated unlinks answer already_unlinked', async () => {
    const customerId = await stack.customer();
    const linked = await linkCard(stack.linkDeps, card(customerId));
    if (linked.status !== 'linked') throw new Error(`not linked: ${JSON.stringify(linked)}`);
    const before = (await unlinkCalls('chase')).length;

    // Three at once: one run of the unlink workflow (its id is the link's), one `unlinked` answer.
    const answers = await Promise.all([0, 1, 2].map(() => unlinkCard(deps(), linked.linkId, { customerId, reason: 'lost card' }, support, 'console')));
    expect(answers.map((answer) => answer.status).sort()).toEqual(['already_unlinked', 'already_unlinked', 'unlinked']);
    for (const answer of answers) expect(answer).toMatchObject({ linkId: linked.linkId, customerId, partnerId: 'chase', workflowId: cardUnlinkWorkflowId(linked.linkId), linkWorkflowId: linked.workflowId });

    expect(await db().membershipLink.findUniqueOrThrow({ where: { linkId: linked.linkId } })).toMatchObject({ status: 'ended', endedReason: 'unlinked: lost card' });
    expect(await db().dashPassSubscription.findMany({ where: { customerId } })).toMatchObject([{ status: 'ended', activeCustomerId: null, endedReason: 'unlinked: lost card' }]);
    await eventually('the partner to be told', async () => (await unlinkCalls('chase')).length > before);
    await stack.client.workflow.getHandle(cardUnlinkWorkflowId(linked.linkId)).result();
    expect((await unlinkCalls('chase')).slice(before)).toEqual([200]);

    // After the run finished: a new run finds the link ended, answers the same and does not call the partner.
    const again = await unlinkCard(deps(), linked.linkId, {}, { id: 'card-link-api', role: 'service' }, 'api');
    expect(again).toMatchObject({ status: 'already_unlinked', endedReason: 'unlinked: lost card', endedSubscriptions: 0 });
    await stack.client.workflow.getHandle(cardUnlinkWorkflowId(linked.linkId)).result();
    expect((await unlinkCalls('chase')).slice(before)).toEqual([200]);

    const audit = await unlinkRecords(db(), linked.workflowId);
    expect(audit).toHaveLength(4);
    expect(audit.filter((row) => row.status === 'unlinked')).toMatchObject([{ actor: 'it-support', actorRole: 'support', via: 'console', reason: 'lost card' }]);
    expect(audit.at(-1)).toMatchObject({ actor: 'card-link-api', via: 'api', status: 'already_unlinked', reason: 'removed by the customer' });
    expect(await db().auditLog.count({ where: { action: UNLINK_ACTION, target: `workflow:${linked.workflowId}` } })).toBe(4);

    // The customer's slot is free again: another card links.
    expect(await linkCard(stack.linkDeps, card(customerId, '552433', 'mastercard'))).toMatchObject({ status: 'linked', partnerId: 'chase' });
  });

  it("refuses an unknown link, and another customer's link, without starting anything", async () => {
    const customerId = await stack.customer();
    const linked = await linkCard(stack.linkDeps, card(customerId));
    if (linked.status !== 'linked') throw new Error('not linked');
    await expect(unlinkCard(deps(), `link_${randomUUID()}`, {}, support, 'console')).rejects.toBeInstanceOf(UnknownLinkError);
    await expect(unlinkCard(deps(), linked.linkId, { customerId: 'someone-else' }, support, 'api')).rejects.toBeInstanceOf(UnknownLinkError);
    expect(await db().membershipLink.findUniqueOrThrow({ where: { linkId: linked.linkId } })).toMatchObject({ status: 'active' });
    expect(await unlinkRecords(db(), linked.workflowId)).toEqual([]);
  });
});
