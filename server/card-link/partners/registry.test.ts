import { describe, expect, it } from 'vitest';
import type { CardFacts } from '../../temporal/contract.ts';
import { afterpay } from './afterpay.ts';
import { addMonthsUtc, DAY_MS, HOUR_MS } from './benefit-dates.ts';
import { chase, chaseV1, chaseV2 } from './chase.ts';
import { issuedWithin } from './issuing.ts';
import type { PartnerHttp, PartnerIntegration } from './partner.ts';
import { requestEligibility, requestReconciliation, requestUnlink, toDecision } from './partner-api.ts';
import { rbc } from './rbc.ts';
import { createPartnerRegistry, partnerRegistry, UnknownPartnerVersionError, type PartnerModule } from './registry.ts';

function card(overrides: Partial<CardFacts>): CardFacts {
  return { paymentMethodId: 'pm_1', fingerprint: 'fp_1', bin: '414721', last4: '4242', country: 'US', network: 'visa', expMonth: 1, expYear: 2031, ...overrides };
}

/** A fourth partner that exists only in this test: one module's worth of code, nothing else. */
const northwindV1: PartnerIntegration = {
  partnerId: 'northwind',
  name: 'Northwind Credit Union',
  version: '1',
  matches: (facts) => issuedWithin(facts, [{ network: 'discover', from: '601100', to: '601109', countries: ['US'] }]),
  checkEligibility: async (http, request) => toDecision(await requestEligibility('northwind', http, request)),
  benefit: (linkedAt) => ({ startsAt: linkedAt, endsAt: addMonthsUtc(linkedAt, 1) }),
  reconciliation: { via: 'polling', pollEveryMs: HOUR_MS, deadlineMs: DAY_MS },
  pollReconciliation: (http, reference) => requestReconciliation('northwind', http, reference),
  unlink: (http, request) => requestUnlink('northwind', http, request),
};
const northwind: PartnerModule = { live: northwindV1, versions: [northwindV1] };

function scriptedHttp(answers: Record<string, unknown>) {
  const paths: string[] = [];
  const http: PartnerHttp = {
    post: async <T>(path: string) => {
      paths.push(path);
      return answers[path] as T;
    },
    get: async <T>(path: string) => {
      paths.push(path);
      return answers[path] as T;
    },
  };
  return { http, paths };
}

describe('partner registry', () => {
  it('selects the one built-in partner that issues a card, or none', () => {
    expect(partnerRegistry.selectPartner(card({ bin: '414721' }))?.partnerId).toBe('chase');
    expect(partnerRegistry.selectPartner(card({ bin: '450061', country: 'CA' }))?.partnerId).toBe('rbc');
    expect(partnerRegistry.selectPartner(card({ bin: '535318', network: 'mastercard', country: 'AU' }))?.partnerId).toBe('afterpay');
    expect(partnerRegistry.selectPartner(card({ bin: '601101', network: 'discover' }))).toBeUndefined();
    expect(partnerRegistry.partnerIds).toEqual(['chase', 'rbc', 'afterpay']);
  });

  it('serves every version a partner implements, so the partners table can pick live and candidate', () => {
    expect(partnerRegistry.get('chase')).toEqual({ live: chaseV1, versions: { '1': chaseV1, '2': chaseV2 } });
    expect(partnerRegistry.resolve('chase', '2')).toBe(chaseV2);
    expect(() => partnerRegistry.resolve('chase', '9')).toThrow(UnknownPartnerVersionError);
    expect(() => partnerRegistry.resolve('nobody', '1')).toThrow(UnknownPartnerVersionError);
  });

  it('takes a new partner with one module and one registry line, and the rest of the flow uses it unchanged', async () => {
    const registry = createPartnerRegistry([chase, rbc, afterpay, northwind]);
    const discover = card({ bin: '60110512', network: 'discover', last4: '0003' });

    const partner = registry.selectPartner(discover);
    expect(partner).toBe(northwindV1);
    expect(registry.resolve('northwind', '1')).toBe(northwindV1);
    // Existing partners keep their cards.
    expect(registry.selectPartner(card({}))?.partnerId).toBe('chase');

    // What the card-link workflow does with whatever partner it was handed.
    const { http, paths } = scriptedHttp({
      '/eligibility': { decision: 'multi_match', reference: 'mm-nw-1', candidates: 2 },
      '/reconciliations/mm-nw-1': { state: 'matched' },
    });
    const decision = await partner!.checkEligibility(http, { customerId: 'cus_1', card: discover });
    expect(decision).toEqual({ kind: 'multi_match', matchReference: 'mm-nw-1', candidates: 2 });
    expect(partner!.reconciliation.via).toBe('polling');
    expect(await partner!.pollReconciliation!(http, 'mm-nw-1')).toEqual({ state: 'matched' });
    expect(partner!.benefit(new Date('2026-01-31T00:00:00Z')).endsAt).toEqual(new Date('2026-02-28T00:00:00Z'));
    expect(paths).toEqual(['/eligibility', '/reconciliations/mm-nw-1']);
  });

  it('refuses a partner registered twice or a version filed under another partner', () => {
    expect(() => createPartnerRegistry([chase, chase])).toThrow(/registered twice/);
    expect(() => createPartnerRegistry([{ live: chaseV1, versions: [northwindV1] }])).toThrow(/lists a version of northwind/);
    const impostor = { ...chaseV2, version: '1' };
    expect(() => createPartnerRegistry([{ live: chaseV1, versions: [impostor] }])).toThrow(/two implementations of version 1/);
  });
});
