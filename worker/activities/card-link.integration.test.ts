import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CardFacts, EligibilityDecision } from '../../server/temporal/contract.ts';
import type { PartnerHttp } from '../../server/card-link/partners/partner.ts';
import { db } from '../../server/db/client.ts';
import { createCardLinkActivities } from './card-link.ts';
import type { CreateLinkInput } from './card-link-write.ts';

/**
 * The card-link activities against the real database: what a retry, a repeated request or a race does to the
 * rows. The partner is scripted; the workflows are tested in worker/workflows/.
 */

let decision: EligibilityDecision = { kind: 'eligible', partnerReference: 'ref-1' };
const http: PartnerHttp = {
  post: async <T>() => (decision.kind === 'eligible' ? { decision: 'eligible', reference: decision.partnerReference } : decision) as T,
  get: async <T>() => ({ state: 'pending' }) as T,
};
const activities = createCardLinkActivities({ db: db(), partnerHttp: () => http });
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
/** Runs `work` in a mock activity context (the activities' logger and info), as a worker would. */
const inActivity = <R>(work: () => Promise<R>): Promise<R> => env.run<[], R, () => Promise<R>>(work);

async function customerWithCard(bin = '414721', existingCustomerId?: string): Promise<{ customerId: string; card: CardFacts }> {
  const customerId = existingCustomerId ?? `it-cla-${randomUUID().slice(0, 12)}`;
  if (!existingCustomerId) await db().customer.create({ data: { customerId, name: 'Activity Test', email: `${customerId}@example.com`, country: 'US' } });
  const paymentMethodId = `pm_${randomUUID().slice(0, 12)}`;
  const card: CardFacts = { paymentMethodId, fingerprint: `fp_${paymentMethodId}`, bin, last4: '4242', country: 'US', network: bin.startsWith('5') ? 'mastercard' : 'visa', expMonth: 12, expYear: 2099 };
  await db().paymentMethod.create({ data: { ...card, customerId } });
  return { customerId, card };
}

const linkInput = (customerId: string, card: CardFacts, overrides: Partial<CreateLinkInput> = {}): CreateLinkInput => ({
  workflowId: `wf-${customerId}-${card.fingerprint}`,
  customerId,
  card,
  partnerId: card.bin.startsWith('5') ? 'afterpay' : 'chase',
  partnerVersion: '1',
  decision: { kind: 'eligible', partnerReference: 'ref-1' },
  linkedAt: '2026-11-23T12:00:00.000Z',
  ...overrides,
});

const rowsOf = async (customerId: string) => ({
  links: await db().membershipLink.findMany({ where: { customerId } }),
  subscriptions: await db().dashPassSubscription.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } }),
});

beforeAll(async () => {
  await db().partner.createMany({
    data: [
      { partnerId: 'chase', name: 'Chase', liveVersion: '1' },
      { partnerId: 'afterpay', name: 'Afterpay', liveVersion: '1' },
    ],
    skipDuplicates: true,
  });
});

describe('createLink', () => {
  it('is idempotent: a retry returns the link and subscription the first attempt wrote', async () => {
    const { customerId, card } = await customerWithCard();
    const first = await inActivity(() => activities.createLink(linkInput(customerId, card)));
    const retry = await inActivity(() => activities.createLink(linkInput(customerId, card)));

    expect(first).toMatchObject({ kind: 'linked', created: true, linkStatus: 'active', subscriptionStatus: 'active', benefitEndsAt: '2027-11-23T12:00:00.000Z' });
    expect(retry).toEqual({ ...first, created: false });
    const { links, subscriptions } = await rowsOf(customerId);
    expect(links).toHaveLength(1);
    expect(subscriptions).toMatchObject([{ status: 'active', activeCustomerId: customerId, linkId: links[0]!.linkId }]);
  });

  it('creates a pending link with a provisional subscription on a multi-match', async () => {
    const { customerId, card } = await customerWithCard();
    const result = await inActivity(() => activities.createLink(linkInput(customerId, card, { decision: { kind: 'multi_match', matchReference: 'mm-1', candidates: 2 } })));

    expect(result).toMatchObject({ kind: 'linked', linkStatus: 'pending_reconciliation', subscriptionStatus: 'provisional', partnerReference: 'mm-1' });
    expect((await rowsOf(customerId)).subscriptions).toMatchObject([{ status: 'provisional', activeCustomerId: customerId }]);
  });

  it('writes nothing, and says so, when the customer already has a live subscription through another card', async () => {
    const { customerId, card } = await customerWithCard();
    const other = await customerWithCard('535317', customerId);
    const first = await inActivity(() => activities.createLink(linkInput(customerId, card)));
    const second = await inActivity(() => activities.createLink(linkInput(customerId, other.card)));

    expect(second).toEqual({ kind: 'already_subscribed', subscriptionId: first.kind === 'linked' ? first.subscriptionId : 'none' });
    const { links, subscriptions } = await rowsOf(customerId);
    expect(links.map(({ partnerId }) => partnerId)).toEqual(['chase']);
    expect(subscriptions).toHaveLength(1);
  });

  it('lapses a subscription already over at the decision before linking another card, so it does not hold the slot', async () => {
    const { customerId, card } = await customerWithCard();
    const other = await customerWithCard('535317', customerId);
    const first = await inActivity(() => activities.createLink(linkInput(customerId, card)));
    // Chase's benefit lasts a year: by 2028 it is over, though no sweep has lapsed it yet.
    const second = await inActivity(() => activities.createLink(linkInput(customerId, other.card, { linkedAt: '2028-01-01T00:00:00.000Z' })));

    expect(second).toMatchObject({ kind: 'linked', created: true, linkStatus: 'active', subscriptionStatus: 'active' });
    const { links, subscriptions } = await rowsOf(customerId);
    expect(links.map(({ partnerId, status }) => [partnerId, status]).sort()).toEqual([
      ['afterpay', 'active'],
      ['chase', 'ended'],
    ]);
    expect(subscriptions).toMatchObject([
      { subscriptionId: first.kind === 'linked' ? first.subscriptionId : 'none', status: 'lapsed', activeCustomerId: null },
      { status: 'active', activeCustomerId: customerId },
    ]);
  });

  it('a repeated request after the benefit is over lapses it and reopens the link with a new subscription, rather than answer the old one', async () => {
    const { customerId, card } = await customerWithCard();
    const first = await inActivity(() => activities.createLink(linkInput(customerId, card)));
    const again = await inActivity(() => activities.createLink(linkInput(customerId, card, { linkedAt: '2028-01-01T00:00:00.000Z' })));

    if (first.kind !== 'linked') throw new Error('expected a link');
    expect(again).toMatchObject({ kind: 'linked', created: true, linkId: first.linkId, subscriptionStatus: 'active', benefitEndsAt: '2029-01-01T00:00:00.000Z' });
    expect(again.kind === 'linked' && again.subscriptionId).not.toBe(first.subscriptionId);
    const { subscriptions } = await rowsOf(customerId);
    expect(subscriptions).toMatchObject([
      { subscriptionId: first.subscriptionId, status: 'lapsed', activeCustomerId: null },
      { status: 'active', activeCustomerId: customerId },
    ]);
  });

  it('reopens a link whose reconciliation failed, with a new subscription, keeping the ended one as history', async () => {
    const { customerId, card } = await customerWithCard();
    const pending = await inActivity(() => activities.createLink(linkInput(customerId, card, { decision: { kind: 'multi_match', matchReference: 'mm-2', candidates: 2 } })));
    if (pending.kind !== 'linked') throw new Error('expected a link');
    await inActivity(() => activities.compensateReconciliation({ linkId: pending.linkId, reason: 'no_matching_account', at: '2026-11-25T00:00:00.000Z' }));

    const again = await inActivity(() => activities.createLink(linkInput(customerId, card, { linkedAt: '2026-12-01T00:00:00.000Z' })));
    expect(again).toMatchObject({ kind: 'linked', created: true, linkId: pending.linkId, linkStatus: 'active', benefitEndsAt: '2027-12-01T00:00:00.000Z' });
    const { links, subscriptions } = await rowsOf(customerId);
    expect(links).toMatchObject([{ status: 'active', endedReason: null, partnerReference: 'ref-1' }]);
    expect(subscriptions).toMatchObject([
      { status: 'ended', endedReason: 'no_matching_account', activeCustomerId: null },
      { status: 'active', activeCustomerId: customerId },
    ]);
  });
});

describe('reconciliation outcomes', () => {
  it('confirm and compensate are idempotent, and neither undoes the other', async () => {
    const { customerId, card } = await customerWithCard();
    const pending = await inActivity(() => activities.createLink(linkInput(customerId, card, { decision: { kind: 'multi_match', matchReference: 'mm-3', candidates: 2 } })));
    if (pending.kind !== 'linked') throw new Error('expected a link');

    const confirmed = await inActivity(() => activities.confirmReconciledLink({ linkId: pending.linkId, resolvedBy: 'partner:chase' }));
    expect(await inActivity(() => activities.confirmReconciledLink({ linkId: pending.linkId, resolvedBy: 'partner:chase' }))).toEqual(confirmed);
    expect(confirmed).toMatchObject({ linkStatus: 'active', subscriptionId: pending.subscriptionId });
    // A late compensation (a deadline racing the answer) leaves a confirmed link alone.
    expect(await inActivity(() => activities.compensateReconciliation({ linkId: pending.linkId, reason: 'late', at: '2026-11-30T00:00:00.000Z' }))).toEqual({
      linkId: pending.linkId,
      endedSubscriptions: 0,
      linkEnded: false,
    });
    const { links, subscriptions } = await rowsOf(customerId);
    expect(links).toMatchObject([{ status: 'active' }]);
    expect(subscriptions).toMatchObject([{ status: 'active' }]);
  });

  it('compensation ends the provisional subscription at the given time and frees the live-subscription slot', async () => {
    const { customerId, card } = await customerWithCard();
    const pending = await inActivity(() => activities.createLink(linkInput(customerId, card, { decision: { kind: 'multi_match', matchReference: 'mm-4', candidates: 2 } })));
    if (pending.kind !== 'linked') throw new Error('expected a link');
    const at = '2026-11-30T12:00:00.000Z';
    expect(await inActivity(() => activities.compensateReconciliation({ linkId: pending.linkId, reason: 'reconciliation_deadline_passed', at }))).toEqual({
      linkId: pending.linkId,
      endedSubscriptions: 1,
      linkEnded: true,
    });
    expect((await rowsOf(customerId)).subscriptions).toMatchObject([{ status: 'ended', endedAt: new Date(at), activeCustomerId: null }]);
    // The slot is free: another card of the customer can link now.
    const other = await customerWithCard('535317', customerId);
    expect(await inActivity(() => activities.createLink(linkInput(customerId, other.card)))).toMatchObject({ kind: 'linked', linkStatus: 'active' });
  });
});

describe('compareShadowEligibility', () => {
  it('records one comparison per run, even when the activity is retried', async () => {
    const { customerId, card } = await customerWithCard('414728');
    decision = { kind: 'eligible', partnerReference: 'ref-2' };
    const input = {
      workflowId: `wf-shadow-${customerId}`,
      runStartedAt: new Date().toISOString(),
      partnerId: 'chase',
      liveVersion: '1',
      candidateVersion: '2',
      customerId,
      card,
      liveDecision: decision,
    };
    const first = await inActivity(() => activities.compareShadowEligibility(input));
    const retry = await inActivity(() => activities.compareShadowEligibility(input));

    expect(first).toEqual({ matched: false, candidateDecision: { kind: 'not_eligible', reason: 'business_card_not_in_offer' }, recorded: true });
    expect(retry).toMatchObject({ recorded: false });
    expect(await db().shadowComparison.count({ where: { customerId } })).toBe(1);
    // Dry mode: no link, no subscription.
    expect(await rowsOf(customerId)).toEqual({ links: [], subscriptions: [] });
  });
});
