import { describe, expect, it } from 'vitest';
import {
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
