import { describe, expect, it } from 'vitest';
import { cardFactsProblems, expiryText, isExpired, isTooFarAhead, looksLikePan, PAN_FIELD_NAMES } from './card-rules.ts';

const card = { paymentMethodId: 'pm_1', fingerprint: 'fp_1', bin: '414721', last4: '4242', country: 'US', network: 'visa', expMonth: 3, expYear: 2027 };

describe('isExpired', () => {
  it('keeps a card good through the last day of its expiry month, in UTC', () => {
    expect(isExpired({ expMonth: 11, expYear: 2026 }, new Date('2026-11-30T23:59:59Z'))).toBe(false);
    expect(isExpired({ expMonth: 11, expYear: 2026 }, new Date('2026-12-01T00:00:00Z'))).toBe(true);
    expect(isExpired({ expMonth: 12, expYear: 2026 }, new Date('2027-01-01T00:00:00Z'))).toBe(true);
    expect(isExpired({ expMonth: 1, expYear: 2027 }, new Date('2026-12-31T23:59:59Z'))).toBe(false);
  });
});

describe('isTooFarAhead', () => {
  it('refuses an expiry more than 20 years away', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    expect(isTooFarAhead({ expMonth: 12, expYear: 2046 }, now)).toBe(false);
    expect(isTooFarAhead({ expMonth: 1, expYear: 2047 }, now)).toBe(true);
  });
});

describe('expiryText', () => {
  it('writes MM/YYYY', () => {
    expect(expiryText({ expMonth: 3, expYear: 2027 })).toBe('03/2027');
  });
});

describe('cardFactsProblems', () => {
  it('finds nothing wrong with well-formed facts', () => {
    expect(cardFactsProblems(card)).toEqual([]);
  });

  it('names every problem, in field order', () => {
    expect(cardFactsProblems({ ...card, bin: '41', last4: '42a2', country: 'usa', network: ' ', expMonth: 13, expYear: 29 })).toEqual([
      'bin must be the first 6 to 8 digits of the card',
      'last4 must be exactly 4 digits',
      'country must be an ISO 3166-1 alpha-2 code such as US or CA',
      'network is empty',
      'expMonth must be 1-12',
      'expYear must be a four-digit year such as 2029',
    ]);
    expect(cardFactsProblems({ ...card, fingerprint: '', expMonth: 2.5 })).toEqual(['fingerprint is empty', 'expMonth must be 1-12']);
  });
});

describe('looksLikePan', () => {
  it.each([['4147202512340001'], ['4147 2025 1234 0001'], ['4147-2025-1234-0001'], [4147202512340001]])('takes %j for a card number', (value) => {
    expect(looksLikePan(value)).toBe(true);
  });

  it.each([['414721'], ['4242'], ['fp_8Hq2kLm4Zx'], ['12345678901234567890'], [2029], [null]])('does not take %j for one', (value) => {
    expect(looksLikePan(value)).toBe(false);
  });

  it('knows the field names a PAN or CVC travels under', () => {
    for (const name of ['pan', 'cardNumber', 'card_number', 'CVV', 'security_code']) expect(PAN_FIELD_NAMES.test(name)).toBe(true);
    for (const name of ['bin', 'last4', 'fingerprint']) expect(PAN_FIELD_NAMES.test(name)).toBe(false);
  });
});
