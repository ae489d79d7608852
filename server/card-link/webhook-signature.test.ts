import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPartnerRegistry, partnerRegistry } from './partners/registry.ts';
import {
  type InvalidWebhookSignatureError,
  partnersWithoutWebhookSecret,
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from './webhook-signature.ts';

const secret = 'chase-secret-of-at-least-32-characters';
const body = JSON.stringify({ partnerId: 'chase', reference: 'ref-1', matched: true });
const signedAt = new Date('2026-12-02T12:00:00Z');

function verify(overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]> = {}) {
  const headers = signWebhook(secret, body, signedAt);
  return () =>
    verifyWebhookSignature({
      secret,
      timestamp: headers[WEBHOOK_TIMESTAMP_HEADER]!,
      signature: headers[WEBHOOK_SIGNATURE_HEADER]!,
      body,
      now: signedAt,
      ...overrides,
    });
}

const refusedFor = (why: InvalidWebhookSignatureError['why']) => expect.objectContaining({ name: 'InvalidWebhookSignatureError', why }) as unknown;

describe('webhook signatures', () => {
  it('signs HMAC-SHA256 over "<unix seconds>.<body>"', () => {
    const headers = signWebhook(secret, body, signedAt);
    expect(headers[WEBHOOK_TIMESTAMP_HEADER]).toBe('1796212800');
    const expected = createHmac('sha256', secret).update(`1796212800.${body}`).digest('hex');
    expect(headers[WEBHOOK_SIGNATURE_HEADER]).toBe(`sha256=${expected}`);
    expect(verify()).not.toThrow();
  });

  it('accepts within 5 minutes either way, refuses a replay after that', () => {
    expect(verify({ now: new Date(signedAt.getTime() + 5 * 60_000) })).not.toThrow();
    expect(verify({ now: new Date(signedAt.getTime() - 5 * 60_000) })).not.toThrow();
    expect(verify({ now: new Date(signedAt.getTime() + 5 * 60_000 + 1000) })).toThrow(refusedFor('stale'));
    expect(verify({ now: new Date(signedAt.getTime() - 5 * 60_000 - 1000) })).toThrow(refusedFor('stale'));
  });

  it('refuses a changed body, another secret, a moved timestamp and missing or malformed headers', () => {
    expect(verify({ body: body.replace('true', 'false') })).toThrow(refusedFor('mismatch'));
    expect(verify({ secret: 'another-secret-of-at-least-32-characters' })).toThrow(refusedFor('mismatch'));
    expect(verify({ timestamp: '1796212801' })).toThrow(refusedFor('mismatch'));
    expect(verify({ signature: null })).toThrow(refusedFor('missing'));
    expect(verify({ timestamp: null })).toThrow(refusedFor('missing'));
    expect(verify({ signature: 'sha256=abc' })).toThrow(refusedFor('missing'));
    expect(verify({ signature: `md5=${'0'.repeat(64)}` })).toThrow(refusedFor('missing'));
    expect(verify({ timestamp: '1796212800.5' })).toThrow(refusedFor('missing'));
  });

  it('refuses everything from a partner without a secret', () => {
    expect(verify({ secret: undefined })).toThrow(refusedFor('no_secret'));
    expect(verify({ secret: '' })).toThrow(refusedFor('no_secret'));
  });

  it('names the webhook partners without a secret (polling-only partners need none)', () => {
    expect(partnersWithoutWebhookSecret(partnerRegistry, new Map()).sort()).toEqual(['afterpay', 'chase']);
    expect(partnersWithoutWebhookSecret(partnerRegistry, new Map([['chase', secret]]))).toEqual(['afterpay']);
    expect(partnersWithoutWebhookSecret(createPartnerRegistry([]), new Map())).toEqual([]);
  });
});
