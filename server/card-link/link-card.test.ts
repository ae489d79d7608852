import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { enrollmentsQuery, InvalidEnrollmentQueryError, visibilityString } from './enrollments.ts';
import { startRaced } from './link-card.ts';
import { cardLinkRequestSchema } from './requests.ts';

const nextYear = new Date().getUTCFullYear() + 1;
const valid = {
  customerId: 'cust-001',
  card: { fingerprint: 'fp_8Hq2kLm4Zx', bin: '414720', last4: '0001', country: 'us', network: 'Visa', expMonth: 7, expYear: nextYear },
};
const withCard = (card: Record<string, unknown>) => ({ ...valid, card: { ...valid.card, ...card } });

function issues(input: unknown) {
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
    const found = issues(input);
    expect(found.some((issue) => /full card number \(PAN\)/.test(issue.message))).toBe(true);
    expect(JSON.stringify(found)).not.toContain('4147202512340001');
    expect(JSON.stringify(found)).not.toContain('4147 2025');
  });

  it('rejects BINs that are not 6 to 8 digits', () => {
    for (const bin of ['41472', '414720123', '41472a', '']) {
      expect(issues(withCard({ bin }))).toContainEqual({ path: 'card.bin', message: 'bin must be the first 6 to 8 digits of the card' });
    }
    expect(cardLinkRequestSchema.parse(withCard({ bin: '41472025' })).card.bin).toBe('41472025');
  });

  it('rejects a last4 that is not four digits, and bad countries and networks', () => {
    expect(issues(withCard({ last4: '001' })).map((i) => i.path)).toContain('card.last4');
    expect(issues(withCard({ country: 'USA' })).map((i) => i.path)).toContain('card.country');
    expect(issues(withCard({ network: 'bitcoin' })).map((i) => i.path)).toContain('card.network');
  });

  it('rejects malformed and past expiry dates', () => {
    const now = new Date();
    expect(issues(withCard({ expMonth: 13 })).map((i) => i.path)).toContain('card.expMonth');
    expect(issues(withCard({ expMonth: 0 })).map((i) => i.path)).toContain('card.expMonth');
    expect(issues(withCard({ expMonth: '07' })).map((i) => i.path)).toContain('card.expMonth');
    expect(issues(withCard({ expYear: 29 }))).toContainEqual({ path: 'card.expYear', message: 'expYear must be a four-digit year such as 2029' });
    expect(issues(withCard({ expYear: now.getUTCFullYear() - 1 })).some((i) => /the card expired/.test(i.message))).toBe(true);
    if (now.getUTCMonth() > 0) {
      const lastMonth = withCard({ expYear: now.getUTCFullYear(), expMonth: now.getUTCMonth() });
      expect(issues(lastMonth).some((i) => /the card expired/.test(i.message))).toBe(true);
    }
    // A card is valid through the end of its expiry month.
    expect(() => cardLinkRequestSchema.parse(withCard({ expYear: now.getUTCFullYear(), expMonth: now.getUTCMonth() + 1 }))).not.toThrow();
  });

  it('rejects customer ids outside the safe alphabet', () => {
    for (const customerId of ["x' OR 1=1", '', 'a b', '-leading']) {
      expect(issues({ ...valid, customerId }).map((i) => i.path)).toContain('customerId');
    }
  });

  it('throws a ZodError from parse, which the route maps to 422', () => {
    expect(() => cardLinkRequestSchema.parse({})).toThrow(z.ZodError);
  });
});

describe('enrollmentsQuery', () => {
  it('filters on workflow type and the customer id', () => {
    expect(enrollmentsQuery('cust-001')).toBe("WorkflowType = 'cardLinkWorkflow' AND CustomerId = 'cust-001'");
  });

  it('refuses ids that could break out of the literal, and escapes quotes anyway', () => {
    expect(() => enrollmentsQuery("x' OR CustomerId != '")).toThrow(InvalidEnrollmentQueryError);
    expect(visibilityString("o'brien\\")).toBe("'o\\'brien\\\\'");
  });
});

describe('startRaced', () => {
  it("recognises Temporal's retry-the-operation answer to a deduplicated Update-With-Start start, and nothing else", () => {
    const grpc = (code: number, message: string) => Object.assign(new Error(message), { code });
    expect(startRaced(grpc(14, '14 UNAVAILABLE: Workflow was not started: StartDeduped'))).toBe(true);
    expect(startRaced(new Error('Unexpected error while making gRPC request', { cause: grpc(14, 'Workflow was not started: StartDeduped') }))).toBe(true);
    expect(startRaced(grpc(14, '14 UNAVAILABLE: No connection established'))).toBe(false);
    expect(startRaced(grpc(6, 'StartDeduped'))).toBe(false);
    expect(startRaced('StartDeduped')).toBe(false);
  });
});
