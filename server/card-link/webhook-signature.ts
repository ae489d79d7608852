import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PartnerRegistry } from './partners/registry.ts';

/**
 * Partner webhook signatures: HMAC-SHA256 with the partner's own secret over `<timestamp>.<raw body>`, so a
 * body can be neither altered nor replayed outside a 5-minute window. Partners sign, the console verifies.
 */

/** Unix seconds when the partner signed. */
export const WEBHOOK_TIMESTAMP_HEADER = 'x-dashops-timestamp';
/** `sha256=<hex HMAC>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-dashops-signature';
export const WEBHOOK_REPLAY_WINDOW_MS = 5 * 60 * 1000;

/** 401; deliberately says nothing about which check failed. */
export class InvalidWebhookSignatureError extends Error {
  override name = 'InvalidWebhookSignatureError';
  constructor(readonly why: 'no_secret' | 'missing' | 'stale' | 'mismatch') {
    super(`webhook signature refused (${why})`);
  }
}

function hmac(secret: string, timestamp: string, body: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
}

/** The headers a partner sends with `body` (exactly the bytes it POSTs). */
export function signWebhook(secret: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { [WEBHOOK_TIMESTAMP_HEADER]: timestamp, [WEBHOOK_SIGNATURE_HEADER]: `sha256=${hmac(secret, timestamp, body).toString('hex')}` };
}

/** Throws InvalidWebhookSignatureError unless `body` was signed with `secret` within the replay window. */
export function verifyWebhookSignature(input: {
  secret: string | undefined;
  timestamp: string | null;
  signature: string | null;
  body: string;
  now?: Date;
}): void {
  if (!input.secret) throw new InvalidWebhookSignatureError('no_secret');
  const timestamp = input.timestamp ?? '';
  const presented = /^sha256=([0-9a-f]{64})$/.exec(input.signature ?? '')?.[1];
  if (!/^\d{1,12}$/.test(timestamp) || !presented) throw new InvalidWebhookSignatureError('missing');
  const ageMs = (input.now ?? new Date()).getTime() - Number(timestamp) * 1000;
  if (Math.abs(ageMs) > WEBHOOK_REPLAY_WINDOW_MS) throw new InvalidWebhookSignatureError('stale');
  if (!timingSafeEqual(Buffer.from(presented, 'hex'), hmac(input.secret, timestamp, input.body))) {
    throw new InvalidWebhookSignatureError('mismatch');
  }
}

/** Partners that answer by webhook but have no secret: every webhook of theirs is refused. */
export function partnersWithoutWebhookSecret(registry: PartnerRegistry, secrets: ReadonlyMap<string, string>): string[] {
  return registry.partnerIds.filter((partnerId) => registry.get(partnerId)?.live.reconciliation.via !== 'polling' && !secrets.has(partnerId));
}
