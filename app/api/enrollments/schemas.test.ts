import { describe, expect, it } from 'vitest';
import { enrollmentSearchSchema, mismatchQuerySchema, shadowQuerySchema, windowStart, workflowIdParam } from './schemas.ts';

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
