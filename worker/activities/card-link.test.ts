import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { CARD_LINK_NON_RETRYABLE_ERROR_TYPES, RECONCILIATION_NON_RETRYABLE_ERROR_TYPES, type CardFacts } from '../../server/temporal/contract.ts';
import { NON_RETRYABLE_PARTNER_ERRORS, PartnerProtocolError, PartnerRejectedError, PartnerUnavailableError } from '../../server/card-link/partners/http.ts';
import type { PartnerHttp } from '../../server/card-link/partners/partner.ts';
import type { PrismaClient } from '../../server/db/generated/client.ts';
import { createCardLinkActivities, InvalidCardError, PartnerNotConfiguredError, sameDecision } from './card-link.ts';
import { LinkNotFoundError, ReconciliationNotPollableError } from './reconciliation.ts';

const card: CardFacts = {
  paymentMethodId: 'pm_1',
  fingerprint: 'fp_1',
  bin: '414721',
  last4: '4242',
  country: 'US',
  network: 'visa',
  expMonth: 3,
  expYear: 2027,
};

interface FakeRows {
  paymentMethod?: { customerId: string; fingerprint: string; last4: string } | null;
  partner?: { name: string; active: boolean; liveVersion: string; candidateVersion: string | null } | null;
}

/** Only the reads validateCard and selectPartner make. */
function fakeDb(rows: FakeRows): PrismaClient {
  const paymentMethod = rows.paymentMethod === undefined ? { customerId: 'cus_1', fingerprint: card.fingerprint, last4: card.last4 } : rows.paymentMethod;
  const partner = rows.partner === undefined ? { name: 'Chase', active: true, liveVersion: '1', candidateVersion: null } : rows.partner;
  return {
    paymentMethod: { findUnique: async () => paymentMethod },
    partner: { findUnique: async () => partner },
  } as unknown as PrismaClient;
}

const noHttp: PartnerHttp = {
  post: () => Promise.reject(new Error('no partner calls in unit tests')),
  get: () => Promise.reject(new Error('no partner calls in unit tests')),
};

const activities = (rows: FakeRows = {}) => createCardLinkActivities({ db: fakeDb(rows), partnerHttp: () => noHttp });
// Expected failures are asserted, not logged.
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
/** Runs `work` in a mock activity context (the activities' logger and info), as a worker would. */
const inActivity = <R>(work: () => Promise<R>): Promise<R> => env.run<[], R, () => Promise<R>>(work);

async function invalidReason(work: Promise<unknown>): Promise<string> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidCardError);
  return (err as InvalidCardError).reason;
}

describe('validateCard', () => {
  const validate = (overrides: Partial<CardFacts>, asOf = '2026-11-23T12:00:00Z', rows: FakeRows = {}) =>
    inActivity(() => activities(rows).validateCard('cus_1', { ...card, ...overrides }, asOf));

  it('accepts a well-formed, unexpired stored card that a partner issues', async () => {
    await expect(validate({})).resolves.toEqual({ valid: true });
  });

  it('treats a card as valid through the last day of its expiry month', async () => {
    await expect(validate({ expMonth: 11, expYear: 2026 }, '2026-11-30T23:59:59Z')).resolves.toEqual({ valid: true });
    expect(await invalidReason(validate({ expMonth: 11, expYear: 2026 }, '2026-12-01T00:00:00Z'))).toBe('card_expired');
  });

  it('rejects malformed card facts, naming every problem', async () => {
    const err = await validate({ bin: '41', last4: '42a2', country: 'usa', expMonth: 13 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidCardError);
    expect((err as InvalidCardError).reason).toBe('malformed_card');
    expect((err as Error).message).toMatch(/^malformed_card: bin .*last4 .*country .*expMonth/);
  });

  it('rejects a payment method that is missing or is not this customer’s card', async () => {
    expect(await invalidReason(validate({}, undefined, { paymentMethod: null }))).toBe('unknown_payment_method');
    expect(await invalidReason(validate({}, undefined, { paymentMethod: { customerId: 'cus_2', fingerprint: card.fingerprint, last4: card.last4 } }))).toBe(
      'payment_method_mismatch',
    );
    expect(await invalidReason(validate({}, undefined, { paymentMethod: { customerId: 'cus_1', fingerprint: 'fp_other', last4: card.last4 } }))).toBe(
      'payment_method_mismatch',
    );
  });

  it('rejects a card no partner issues: unknown BIN, or a country the partner does not serve', async () => {
    expect(await invalidReason(validate({ bin: '378282', network: 'amex' }))).toBe('no_partner_for_card');
    expect(await invalidReason(validate({ country: 'GB' }))).toBe('no_partner_for_card');
  });
});

describe('selectPartner', () => {
  it('returns the issuing partner with its live version, reconciliation rules and candidate from the partners table', async () => {
    const result = await inActivity(() => activities({ partner: { name: 'Chase', active: true, liveVersion: '1', candidateVersion: '2' } }).selectPartner(card));
    expect(result).toEqual({
      selected: {
        partnerId: 'chase',
        name: 'Chase',
        liveVersion: '1',
        candidateVersion: '2',
        reconciliation: { via: 'webhook', pollEveryMs: null, deadlineMs: 7 * 86_400_000 },
      },
    });
  });

  it('gives the poll interval of a partner that reconciles by polling', async () => {
    const rbcCard = { ...card, bin: '450061', country: 'CA' };
    const result = await inActivity(() => activities({ partner: { name: 'RBC', active: true, liveVersion: '1', candidateVersion: null } }).selectPartner(rbcCard));
    expect(result).toMatchObject({ selected: { partnerId: 'rbc', reconciliation: { via: 'polling', pollEveryMs: 6 * 3_600_000 } } });
  });

  it('skips a candidate version this build does not implement rather than failing live traffic', async () => {
    const result = await inActivity(() => activities({ partner: { name: 'Chase', active: true, liveVersion: '1', candidateVersion: '9' } }).selectPartner(card));
    expect(result).toMatchObject({ selected: { liveVersion: '1', candidateVersion: null } });
  });

  it('answers not selected for an inactive partner, and fails permanently for a missing row or an unknown live version', async () => {
    await expect(inActivity(() => activities({ partner: { name: 'Chase', active: false, liveVersion: '1', candidateVersion: null } }).selectPartner(card))).resolves.toEqual({
      selected: null,
      partnerId: 'chase',
      reason: 'partner_inactive',
    });
    await expect(inActivity(() => activities({ partner: null }).selectPartner(card))).rejects.toBeInstanceOf(PartnerNotConfiguredError);
    await expect(inActivity(() => activities({ partner: { name: 'Chase', active: true, liveVersion: '7', candidateVersion: null } }).selectPartner(card))).rejects.toBeInstanceOf(
      PartnerNotConfiguredError,
    );
  });
});

describe('checkCardEligibility', () => {
  /** A partner API that answers `answer` to eligibility (or throws it), recording the calls. */
  const check = (rows: FakeRows, answer: unknown, overrides: Partial<CardFacts> = {}) => {
    const calls: string[] = [];
    const http: PartnerHttp = {
      post: async <T>(path: string) => {
        calls.push(path);
        if (answer instanceof Error) throw answer;
        return answer as T;
      },
      get: () => Promise.reject(new Error('not called')),
    };
    const input = { customerId: 'cus_1', card: { ...card, ...overrides }, asOf: '2026-11-23T12:00:00Z' };
    const work = inActivity(() => createCardLinkActivities({ db: fakeDb(rows), partnerHttp: () => http }).checkCardEligibility(input));
    return { work, calls };
  };
  const failureOf = async (work: Promise<unknown>) => {
    const err = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  };

  it('validates, selects and asks the selected partner', async () => {
    const { work, calls } = check({}, { decision: 'eligible', reference: 'ref-1' });
    const result = await work;
    expect(result).toMatchObject({ selection: { selected: { partnerId: 'chase', liveVersion: '1' } }, eligibility: { kind: 'eligible', partnerReference: 'ref-1' } });
    expect(Object.keys(result)).toEqual(['selection', 'eligibility']);
    expect(calls).toEqual(['/eligibility']);
  });

  it('does not ask a partner when none is selected', async () => {
    const { work, calls } = check({ partner: { name: 'Chase', active: false, liveVersion: '1', candidateVersion: null } }, { decision: 'eligible', reference: 'ref-1' });
    await expect(work).resolves.toEqual({ selection: { selected: null, partnerId: 'chase', reason: 'partner_inactive' } });
    expect(calls).toEqual([]);
  });

  it('fails with the failing step’s own error name and message, naming the step (and the partner once selected)', async () => {
    const expired = check({}, { decision: 'eligible', reference: 'ref-1' }, { expYear: 2020 });
    const invalid = await failureOf(expired.work);
    expect(invalid).toMatchObject({ type: 'InvalidCardError', details: [{ step: 'validate_card' }] });
    expect(invalid.message).toMatch(/^card_expired: /);
    expect(expired.calls).toEqual([]);

    expect(await failureOf(check({ partner: null }, {}).work)).toMatchObject({ type: 'PartnerNotConfiguredError', details: [{ step: 'select_partner' }] });

    const unavailable = await failureOf(check({}, new PartnerUnavailableError('chase', 'chase answered 503', 503)).work);
    expect(unavailable).toMatchObject({ type: 'PartnerUnavailableError', message: 'chase answered 503', nonRetryable: false, details: [{ step: 'check_eligibility', partner: { partnerId: 'chase' } }] });
    // Retryability stays with the retry policy, by error name, as for the step on its own.
    expect(CARD_LINK_NON_RETRYABLE_ERROR_TYPES).not.toContain(unavailable.type);
    const malformed = await failureOf(check({}, { decision: 'maybe' }).work);
    expect(malformed).toMatchObject({ type: 'PartnerProtocolError', details: [{ step: 'check_eligibility' }] });
    expect(CARD_LINK_NON_RETRYABLE_ERROR_TYPES).toContain(malformed.type);
  });
});

describe('pollReconciliation', () => {
  it('refuses, permanently, a partner that cannot be polled', async () => {
    await expect(inActivity(() => activities().pollReconciliation({ partnerId: 'chase', version: '1', matchReference: 'mm-1' }))).rejects.toBeInstanceOf(
      ReconciliationNotPollableError,
    );
  });
});

describe('retry policies', () => {
  it('list the permanent errors by the names activities throw them under, and not the transient one', () => {
    const permanent = [new InvalidCardError('card_expired', 'x'), new PartnerNotConfiguredError('x'), new PartnerRejectedError('p', 'x', 400, null), new PartnerProtocolError('p', 'x')];
    for (const err of permanent) expect(CARD_LINK_NON_RETRYABLE_ERROR_TYPES).toContain(err.name);
    for (const name of NON_RETRYABLE_PARTNER_ERRORS) {
      expect(CARD_LINK_NON_RETRYABLE_ERROR_TYPES).toContain(name);
      expect(RECONCILIATION_NON_RETRYABLE_ERROR_TYPES).toContain(name);
    }
    for (const err of [new LinkNotFoundError('x'), new ReconciliationNotPollableError('x')]) expect(RECONCILIATION_NON_RETRYABLE_ERROR_TYPES).toContain(err.name);
    const transient = new PartnerUnavailableError('p', 'x', 503).name;
    expect(CARD_LINK_NON_RETRYABLE_ERROR_TYPES).not.toContain(transient);
    expect(RECONCILIATION_NON_RETRYABLE_ERROR_TYPES).not.toContain(transient);
  });
});

describe('sameDecision', () => {
  it('compares kinds, and reasons of declines; references may differ between versions', () => {
    expect(sameDecision({ kind: 'eligible', partnerReference: 'a' }, { kind: 'eligible', partnerReference: 'b' })).toBe(true);
    expect(sameDecision({ kind: 'not_eligible', reason: 'x' }, { kind: 'not_eligible', reason: 'y' })).toBe(false);
    expect(sameDecision({ kind: 'eligible', partnerReference: 'a' }, { kind: 'not_eligible', reason: 'business_card_not_in_offer' })).toBe(false);
    expect(sameDecision({ kind: 'eligible', partnerReference: 'a' }, { kind: 'error', error: 'PartnerRejectedError', message: 'x' })).toBe(false);
  });
});
