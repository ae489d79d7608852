import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  cardLinkRequestSchema,
  enrollmentSearchSchema,
  linkIdSchema,
  manualResolutionSchema,
  mismatchQuerySchema,
  partnerIdSchema,
  partnerVersionChangeSchema,
  recheckSchema,
  shadowQuerySchema,
  supportUnlinkSchema,
  unlinkRequestSchema,
  windowStart,
  workflowIdParam,
} from './requests.ts';

const messages = (result: { success: boolean; error?: { issues: { message: string }[] } }) => result.error?.issues.map((issue) => issue.message) ?? [];

describe('enrollmentSearchSchema', () => {
  it('trims and accepts a customer ID', () => {
    expect(enrollmentSearchSchema.parse({ customerId: ' cus_priya_raman ' })).toEqual({ customerId: 'cus_priya_raman' });
  });

  it('says what is missing or wrong', () => {
    expect(messages(enrollmentSearchSchema.safeParse({}))).toEqual(['customerId is required: the customer ID to search, such as cus_priya_raman']);
    expect(messages(enrollmentSearchSchema.safeParse({ customerId: '  ' }))).toEqual(['customerId is required: the customer ID to search, such as cus_priya_raman']);
    expect(messages(enrollmentSearchSchema.safeParse({ customerId: "x' OR '1'='1" }))[0]).toMatch(/letters, digits/);
  });
});

describe('workflowIdParam', () => {
  it('passes a decoded id through and decodes a still-encoded one once', () => {
    expect(workflowIdParam('card-link:cus_1:fp_12345678')).toBe('card-link:cus_1:fp_12345678');
    expect(workflowIdParam('card-link%3Acus_1%3Afp_12345678')).toBe('card-link:cus_1:fp_12345678');
    expect(workflowIdParam('bad%E0%A4%A')).toBe('bad%E0%A4%A');
  });
});

describe('shadow queries', () => {
  it('defaults the window to 7 days and refuses an unknown one', () => {
    expect(shadowQuerySchema.parse({})).toEqual({ window: '7d' });
    expect(messages(shadowQuerySchema.safeParse({ window: '1y' }))).toEqual(['window must be one of 24h, 7d, 30d or all']);
    const now = new Date('2026-11-23T12:00:00Z');
    expect(windowStart('24h', now)?.toISOString()).toBe('2026-11-22T12:00:00.000Z');
    expect(windowStart('all', now)).toBeUndefined();
  });

  it('needs a partner, and bounds the limit', () => {
    expect(mismatchQuerySchema.parse({ partnerId: 'chase', candidateVersion: '2' })).toEqual({ partnerId: 'chase', candidateVersion: '2', limit: 20 });
    expect(messages(mismatchQuerySchema.safeParse({}))).toEqual(['partnerId is required']);
    expect(messages(mismatchQuerySchema.safeParse({ partnerId: 'chase', limit: '500' }))).toEqual(['limit must be 1-200']);
    expect(messages(mismatchQuerySchema.safeParse({ partnerId: 'chase', limit: 'ten' }))).toEqual(['limit must be a number']);
  });
});

describe('reasons', () => {
  it('asks every console action for a reason of 3-500 characters', () => {
    expect(recheckSchema.parse({ reason: '  partner fixed the account ' })).toEqual({ reason: 'partner fixed the account' });
    expect(messages(recheckSchema.safeParse({ reason: 'ok' }))).toEqual(['a reason of at least 3 characters is required']);
    expect(messages(supportUnlinkSchema.safeParse({}))).toEqual(['reason is required']);
    expect(messages(supportUnlinkSchema.safeParse({ reason: 'bad\u0000reason' }))).toEqual(['reason must not contain control characters']);
    expect(manualResolutionSchema.parse({ matched: true, reason: 'confirmed by phone\n(ticket 42)' })).toEqual({ matched: true, reason: 'confirmed by phone\n(ticket 42)' });
    expect(messages(manualResolutionSchema.safeParse({ matched: 'yes', reason: 'confirmed' }))).toEqual(['matched must be true or false']);
  });

  it('lets the service API unlink with no body, but not another alphabet or a long reason', () => {
    expect(unlinkRequestSchema.parse({})).toEqual({});
    expect(messages(unlinkRequestSchema.safeParse({ customerId: 'a b' }))[0]).toMatch(/^customerId must be/);
    expect(messages(unlinkRequestSchema.safeParse({ reason: 'x'.repeat(501) }))).toEqual(['reason must be at most 500 characters']);
    expect(linkIdSchema.safeParse('link_0f8a-11').success).toBe(true);
    expect(linkIdSchema.safeParse('pm_1').success).toBe(false);
  });
});

describe('partnerVersionChangeSchema', () => {
  it('takes one of three actions, each with a reason', () => {
    expect(partnerVersionChangeSchema.parse({ action: 'shadow', version: '2', reason: 'trial run' })).toEqual({ action: 'shadow', version: '2', reason: 'trial run' });
    expect(partnerVersionChangeSchema.parse({ action: 'promote', reason: 'rates fine' })).toEqual({ action: 'promote', reason: 'rates fine' });
    expect(messages(partnerVersionChangeSchema.safeParse({ action: 'delete', reason: 'why not' }))).toEqual(['action must be shadow, stop_shadow or promote']);
    expect(messages(partnerVersionChangeSchema.safeParse({ action: 'shadow', version: 'v 2', reason: 'trial run' }))).toEqual(['version must be 1-32 letters, digits, _ . or -']);
    expect(partnerIdSchema.safeParse('Chase').success).toBe(false);
  });
});

const nextYear = new Date().getUTCFullYear() + 1;
const valid = {
  customerId: 'cust-001',
  card: { fingerprint: 'fp_8Hq2kLm4Zx', bin: '414720', last4: '0001', country: 'us', network: 'Visa', expMonth: 7, expYear: nextYear },
};
const withCard = (card: Record<string, unknown>) => ({ ...valid, card: { ...valid.card, ...card } });

function cardIssues(input: unknown) {
  const result = cardLinkRequestSchema.safeParse(input);
  if (result.success) throw new Error('expected the request to be rejected');
  return result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('cardLinkRequestSchema', () => {
  it('accepts card facts and normalises country and network', () => {
    const parsed = cardLinkRequestSchema.parse(valid);
    expect(parsed.card).toMatchObject({ country: 'US', network: 'visa', bin: '414720', last4: '0001' });
    expect(parsed.card.paymentMethodId).toBeUndefined();
  });

  it.each([
    ['a PAN as the fingerprint', withCard({ fingerprint: '4147202512340001' })],
    ['a PAN with spaces as the bin', withCard({ bin: '4147 2025 1234 0001' })],
    ['a PAN under its own field name', { ...valid, card: { ...valid.card, pan: 'x' } }],
    ['a cardNumber at the top level', { ...valid, cardNumber: '4147-2025-1234-0001' }],
    ['a PAN as a JSON number', withCard({ last4: 4147202512340001 })],
    ['a CVC', { ...valid, card: { ...valid.card, cvc: '123' } }],
  ])('rejects %s with the PAN message and without echoing it', (_what, input) => {
    const found = cardIssues(input);
    expect(found.some((issue) => /full card number \(PAN\)/.test(issue.message))).toBe(true);
    expect(JSON.stringify(found)).not.toContain('4147202512340001');
    expect(JSON.stringify(found)).not.toContain('4147 2025');
  });

  it('rejects BINs that are not 6 to 8 digits', () => {
    for (const bin of ['41472', '414720123', '41472a', '']) {
      expect(cardIssues(withCard({ bin }))).toContainEqual({ path: 'card.bin', message: 'bin must be the first 6 to 8 digits of the card' });
    }
    expect(cardLinkRequestSchema.parse(withCard({ bin: '41472025' })).card.bin).toBe('41472025');
  });

  it('rejects a last4 that is not four digits, and bad countries and networks', () => {
    expect(cardIssues(withCard({ last4: '001' })).map((i) => i.path)).toContain('card.last4');
    expect(cardIssues(withCard({ country: 'USA' })).map((i) => i.path)).toContain('card.country');
    expect(cardIssues(withCard({ network: 'bitcoin' })).map((i) => i.path)).toContain('card.network');
  });

  it('rejects malformed and past expiry dates', () => {
    const now = new Date();
    expect(cardIssues(withCard({ expMonth: 13 })).map((i) => i.path)).toContain('card.expMonth');
    expect(cardIssues(withCard({ expMonth: 0 })).map((i) => i.path)).toContain('card.expMonth');
    expect(cardIssues(withCard({ expMonth: '07' })).map((i) => i.path)).toContain('card.expMonth');
    expect(cardIssues(withCard({ expYear: 29 }))).toContainEqual({ path: 'card.expYear', message: 'expYear must be a four-digit year such as 2029' });
    expect(cardIssues(withCard({ expYear: now.getUTCFullYear() - 1 })).some((i) => /the card expired/.test(i.message))).toBe(true);
    if (now.getUTCMonth() > 0) {
      const lastMonth = withCard({ expYear: now.getUTCFullYear(), expMonth: now.getUTCMonth() });
      expect(cardIssues(lastMonth).some((i) => /the card expired/.test(i.message))).toBe(true);
    }
    // A card is valid through the end of its expiry month.
    expect(() => cardLinkRequestSchema.parse(withCard({ expYear: now.getUTCFullYear(), expMonth: now.getUTCMonth() + 1 }))).not.toThrow();
  });

  it('rejects customer ids outside the safe alphabet', () => {
    for (const customerId of ["x' OR 1=1", '', 'a b', '-leading']) {
      expect(cardIssues({ ...valid, customerId }).map((i) => i.path)).toContain('customerId');
    }
  });

  it('throws a ZodError from parse, which the route maps to 422', () => {
    expect(() => cardLinkRequestSchema.parse({})).toThrow(z.ZodError);
  });
});
