import { z } from 'zod';

/**
 * The card rules, once: what a card's facts must look like (never a PAN), and when a card has expired. The
 * card-link API's request schema (server/card-link/requests.ts), the workflow's validateCard activity and the
 * partner API's eligibility body (partners/partner-api.ts) all check cards with these.
 */

/** The networks the card-link API accepts (lower case), and the console names. */
export const CARD_NETWORKS = ['visa', 'mastercard', 'amex', 'discover', 'jcb', 'unionpay', 'diners'] as const;
export type CardNetwork = (typeof CARD_NETWORKS)[number];

export const binSchema = z.string().regex(/^\d{6,8}$/, 'bin must be the first 6 to 8 digits of the card');
export const last4Schema = z.string().regex(/^\d{4}$/, 'last4 must be exactly 4 digits');
/** Upper case, as stored; the API upper-cases what a client sends first. */
export const countrySchema = z.string().regex(/^[A-Z]{2}$/, 'country must be an ISO 3166-1 alpha-2 code such as US or CA');
export const networkSchema = z.enum(CARD_NETWORKS, { error: `network must be one of ${CARD_NETWORKS.join(', ')}` });
export const fingerprintSchema = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, "fingerprint must be the processor's 8-128 character card fingerprint");
export const expMonthSchema = z.number({ error: 'expMonth must be a number from 1 to 12' }).int('expMonth must be 1-12').min(1, 'expMonth must be 1-12').max(12, 'expMonth must be 1-12');
export const expYearSchema = z
  .number({ error: 'expYear must be a four-digit year' })
  .int('expYear must be a four-digit year such as 2029')
  .min(2000, 'expYear must be a four-digit year such as 2029')
  .max(2099, 'expYear must be a four-digit year such as 2029');

/** A new card's expiry is at most this far ahead; further is a typo (or a made-up card). */
export const MAX_EXPIRY_YEARS_AHEAD = 20;

interface Expiry {
  expMonth: number;
  expYear: number;
}

/** A card is good through the last day of its expiry month (UTC). */
export function isExpired(card: Expiry, at: Date): boolean {
  return card.expYear * 12 + (card.expMonth - 1) < at.getUTCFullYear() * 12 + at.getUTCMonth();
}

export function isTooFarAhead(card: Expiry, at: Date): boolean {
  return card.expYear > at.getUTCFullYear() + MAX_EXPIRY_YEARS_AHEAD;
}

/** `03/2027`. */
export function expiryText(card: Expiry): string {
  return `${String(card.expMonth).padStart(2, '0')}/${card.expYear}`;
}

/**
 * Facts as the workflow gets them: normalised by the API already, or read back from payment_methods. The
 * fingerprint and network are the processor's; here they need only be present (the payment method is looked up).
 */
const cardFactsSchema = z.object({
  fingerprint: z.string().trim().min(1, 'fingerprint is empty'),
  bin: binSchema,
  last4: last4Schema,
  country: countrySchema,
  network: z.string().trim().min(1, 'network is empty'),
  expMonth: expMonthSchema,
  expYear: expYearSchema,
});

/** Every problem with a card's facts, in words and field order; empty when well formed. */
export function cardFactsProblems(card: unknown): string[] {
  const parsed = cardFactsSchema.safeParse(card);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}

const PAN_LIKE = /^[\d\s-]+$/;

/** A value that could be a full card number: 12-19 digits, possibly grouped by spaces or dashes. */
export function looksLikePan(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && String(Math.abs(value)).length >= 12;
  if (typeof value !== 'string' || !PAN_LIKE.test(value)) return false;
  const digits = value.replace(/\D/g, '');
  return digits.length >= 12 && digits.length <= 19;
}

/** Field names a client sending a PAN or CVC would use. */
export const PAN_FIELD_NAMES = /^(pan|number|card_?number|cardnum|primary_?account_?number|cvc|cvv|cvv2|cvc2|security_?code)$/i;
