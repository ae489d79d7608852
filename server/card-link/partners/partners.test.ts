import { describe, expect, it } from 'vitest';
import type { CardFacts } from '../../temporal/contract.ts';
import { afterpayV1 } from './afterpay.ts';
import { DAY_MS, HOUR_MS } from './benefit-dates.ts';
import { chaseV1, chaseV2 } from './chase.ts';
import { PartnerProtocolError } from './errors.ts';
import type { PartnerHttp } from './partner.ts';
import { rbcV1 } from './rbc.ts';

const utc = (iso: string) => new Date(`${iso}Z`);

function card(overrides: Partial<CardFacts>): CardFacts {
  return {
    paymentMethodId: 'pm_test',
    fingerprint: 'fp_test',
    bin: '414721',
    last4: '4242',
    country: 'US',
    network: 'visa',
    expMonth: 8,
    expYear: 2030,
    ...overrides,
  };
}

/** Answers every call with `answer` and records what was asked. */
function fakeHttp(answer: unknown) {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  const http: PartnerHttp = {
    post: async <T>(path: string, body: unknown) => {
      calls.push({ method: 'POST', path, body });
      return answer as T;
    },
    get: async <T>(path: string) => {
      calls.push({ method: 'GET', path });
      return answer as T;
    },
  };
  return { http, calls };
}

describe('which partner issues a card', () => {
  it.each([
    ['Chase Visa, low end of the range', card({ bin: '414720' }), [true, false, false]],
    ['Chase Visa, high end, 8-digit BIN', card({ bin: '41472999' }), [true, false, false]],
    ['Chase Mastercard', card({ bin: '552433', network: 'mastercard' }), [true, false, false]],
    ['RBC Visa in Canada', card({ bin: '450065', country: 'CA' }), [false, true, false]],
    ['Afterpay Mastercard in Australia', card({ bin: '535319', network: 'mastercard', country: 'AU' }), [false, false, true]],
    ['Afterpay Mastercard in the US, network in capitals', card({ bin: '535316', network: 'MASTERCARD' }), [false, false, true]],
    ['a Chase BIN issued in Canada', card({ bin: '414721', country: 'CA' }), [false, false, false]],
    ['an RBC BIN on the wrong network', card({ bin: '450061', country: 'CA', network: 'mastercard' }), [false, false, false]],
    ['an Afterpay BIN in Canada', card({ bin: '535317', network: 'mastercard', country: 'CA' }), [false, false, false]],
    ['just past Chase Visa', card({ bin: '414730' }), [false, false, false]],
    ['an Amex', card({ bin: '378282', network: 'amex' }), [false, false, false]],
  ])('%s', (_name, facts, expected) => {
    expect([chaseV1.matches(facts), rbcV1.matches(facts), afterpayV1.matches(facts)]).toEqual(expected);
  });
});

describe('benefit terms', () => {
  it('Chase: twelve months from the moment of linking', () => {
    expect(chaseV1.benefit(utc('2026-03-10T14:00:00'))).toEqual({ startsAt: utc('2026-03-10T14:00:00'), endsAt: utc('2027-03-10T14:00:00') });
    expect(chaseV1.benefit(utc('2028-02-29T08:00:00')).endsAt).toEqual(utc('2029-02-28T08:00:00'));
  });

  it('RBC: from the first of next month, for six months', () => {
    expect(rbcV1.benefit(utc('2026-03-10T14:00:00'))).toEqual({ startsAt: utc('2026-04-01T00:00:00'), endsAt: utc('2026-10-01T00:00:00') });
    // Linked in the first second of a month: still waits for the next one.
    expect(rbcV1.benefit(utc('2026-05-01T00:00:00'))).toEqual({ startsAt: utc('2026-06-01T00:00:00'), endsAt: utc('2026-12-01T00:00:00') });
    // December crosses into the next year twice over.
    expect(rbcV1.benefit(utc('2026-12-31T23:59:59'))).toEqual({ startsAt: utc('2027-01-01T00:00:00'), endsAt: utc('2027-07-01T00:00:00') });
  });

  it('Afterpay: three months from linking, clamped at month ends', () => {
    expect(afterpayV1.benefit(utc('2026-11-30T10:00:00'))).toEqual({ startsAt: utc('2026-11-30T10:00:00'), endsAt: utc('2027-02-28T10:00:00') });
  });
});

describe('reconciliation schemes', () => {
  it('Chase answers only by webhook, within seven days', () => {
    expect(chaseV1.reconciliation).toEqual({ via: 'webhook', deadlineMs: 7 * DAY_MS });
    expect('pollReconciliation' in chaseV1).toBe(false);
  });

  it('RBC is only polled, every six hours for three days', () => {
    expect(rbcV1.reconciliation).toEqual({ via: 'polling', pollEveryMs: 6 * HOUR_MS, deadlineMs: 3 * DAY_MS });
    expect('pollReconciliation' in rbcV1).toBe(true);
  });

  it('Afterpay takes a webhook or a short poll, for two days', () => {
    expect(afterpayV1.reconciliation).toEqual({ via: 'both', pollEveryMs: 30_000, deadlineMs: 2 * DAY_MS });
  });

  it('polling maps the partner state, with a reason for rejections even when the partner gives none', async () => {
    expect(await rbcV1.pollReconciliation!(fakeHttp({ state: 'pending' }).http, 'mm-1')).toEqual({ state: 'pending' });
    expect(await rbcV1.pollReconciliation!(fakeHttp({ state: 'rejected' }).http, 'mm-1')).toEqual({ state: 'rejected', reason: 'rejected by partner' });
    const { http, calls } = fakeHttp({ state: 'matched' });
    expect(await afterpayV1.pollReconciliation!(http, 'mm/1 2')).toEqual({ state: 'matched' });
    expect(calls).toEqual([{ method: 'GET', path: '/reconciliations/mm%2F1%202' }]);
  });
});

describe('eligibility', () => {
  const request = { customerId: 'cus_1', card: card({}) };

  it('sends the card facts a partner may see, never our ids or the expiry', async () => {
    const { http, calls } = fakeHttp({ decision: 'eligible', reference: 'ref-1' });
    expect(await chaseV1.checkEligibility(http, request)).toEqual({ kind: 'eligible', partnerReference: 'ref-1' });
    expect(calls).toEqual([
      { method: 'POST', path: '/eligibility', body: { customerId: 'cus_1', fingerprint: 'fp_test', bin: '414721', last4: '4242', country: 'US', network: 'visa' } },
    ]);
  });

  it('maps not-eligible and multi-match answers', async () => {
    expect(await rbcV1.checkEligibility(fakeHttp({ decision: 'not_eligible', reason: 'closed' }).http, request)).toEqual({
      kind: 'not_eligible',
      reason: 'closed',
    });
    expect(await afterpayV1.checkEligibility(fakeHttp({ decision: 'multi_match', reference: 'mm-9', candidates: 3 }).http, request)).toEqual({
      kind: 'multi_match',
      matchReference: 'mm-9',
      candidates: 3,
    });
  });

  it('refuses an answer outside the partner protocol as a non-retryable protocol error', async () => {
    const attempt = chaseV1.checkEligibility(fakeHttp({ decision: 'maybe' }).http, request);
    await expect(attempt).rejects.toBeInstanceOf(PartnerProtocolError);
    await expect(attempt).rejects.toMatchObject({ name: 'PartnerProtocolError', partnerId: 'chase' });
  });

  it('chase@2 declines the business BINs without asking Chase, where chase@1 asks', async () => {
    const business = { customerId: 'cus_1', card: card({ bin: '414728' }) };
    const v1 = fakeHttp({ decision: 'eligible', reference: 'ref-1' });
    const v2 = fakeHttp({ decision: 'eligible', reference: 'ref-1' });
    expect(await chaseV1.checkEligibility(v1.http, business)).toEqual({ kind: 'eligible', partnerReference: 'ref-1' });
    expect(await chaseV2.checkEligibility(v2.http, business)).toEqual({ kind: 'not_eligible', reason: 'business_card_not_in_offer' });
    expect(v2.calls).toEqual([]);
    // Elsewhere the versions agree.
    expect(await chaseV2.checkEligibility(v2.http, request)).toEqual({ kind: 'eligible', partnerReference: 'ref-1' });
    expect(chaseV2.matches(business.card)).toBe(chaseV1.matches(business.card));
  });
});
