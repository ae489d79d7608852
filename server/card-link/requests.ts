import { z } from 'zod';
import { freeText } from '../http/text-rules.ts';
import {
  binSchema,
  countrySchema,
  expMonthSchema,
  expYearSchema,
  fingerprintSchema,
  isExpired,
  isTooFarAhead,
  last4Schema,
  looksLikePan,
  MAX_EXPIRY_YEARS_AHEAD,
  networkSchema,
  PAN_FIELD_NAMES,
} from './card-rules.ts';

/**
 * Every request the card-link area accepts, as zod schemas: the service API (`/api/card-links`), the console's
 * enrollment, shadow and partner-version routes. Routes parse with these; a ZodError answers 422. No I/O here,
 * so the console's pages may import the rules they mirror (customer IDs, shadow windows).
 */

// ─── Identifiers ───────────────────────────────────────────────────────────────────────────────────────

/** Customer IDs end up in workflow ids and visibility queries: a conservative alphabet keeps both safe. */
export const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const customerIdSchema = z.string().regex(CUSTOMER_ID_PATTERN, 'customerId must be 1-64 letters, digits, _ . : or -, starting with a letter or digit');

export const partnerIdSchema = z.string().regex(/^[a-z0-9_-]{1,64}$/, 'partnerId must be 1-64 lower-case letters, digits, _ or -');

export const linkIdSchema = z.string().regex(/^link_[A-Za-z0-9-]{1,64}$/, 'linkId must be a link id such as link_<uuid>');

/** Route segments arrive percent-decoded in current Next.js; decode once more only if a client double-encoded. */
export function workflowIdParam(raw: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(raw)) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

// ─── Service API: POST /api/card-links, DELETE /api/card-links/<linkId> ────────────────────────────────

const PAN_MESSAGE =
  'This looks like a full card number (PAN). Send only the processor fingerprint, bin (first 6-8 digits) and last4; DashOps never accepts, stores or logs a PAN.';

/** Scans the raw body before field validation, so a PAN in any field (or under any name) gets the PAN message. */
function rejectPanLike(value: unknown, ctx: z.RefinementCtx, path: (string | number)[] = [], depth = 0): void {
  if (depth > 4) return;
  if (looksLikePan(value)) {
    ctx.addIssue({ code: 'custom', path, message: PAN_MESSAGE });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    if (PAN_FIELD_NAMES.test(key)) ctx.addIssue({ code: 'custom', path: [...path, key], message: PAN_MESSAGE });
    else rejectPanLike(child, ctx, [...path, key], depth + 1);
  }
}

const cardSchema = z
  .object({
    paymentMethodId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_:-]{0,63}$/, 'paymentMethodId must be 1-64 letters, digits, _ : or -')
      .optional(),
    fingerprint: fingerprintSchema,
    bin: binSchema,
    last4: last4Schema,
    country: z
      .string()
      .transform((country) => country.toUpperCase())
      .pipe(countrySchema),
    network: z
      .string()
      .transform((network) => network.trim().toLowerCase())
      .pipe(networkSchema),
    expMonth: expMonthSchema,
    expYear: expYearSchema,
  })
  .superRefine((card, ctx) => {
    const now = new Date();
    if (isExpired(card, now)) ctx.addIssue({ code: 'custom', path: ['expYear'], message: `the card expired (${card.expMonth}/${card.expYear})` });
    if (isTooFarAhead(card, now)) {
      ctx.addIssue({ code: 'custom', path: ['expYear'], message: `expYear is more than ${MAX_EXPIRY_YEARS_AHEAD} years away` });
    }
  });

const cardLinkRequestShape = z.object({ customerId: customerIdSchema, card: cardSchema });

/** `POST /api/card-links`. The raw body is screened for anything PAN-like first, under any field name. */
export const cardLinkRequestSchema = z
  .unknown()
  .superRefine((value, ctx) => rejectPanLike(value, ctx))
  .pipe(cardLinkRequestShape);

export type CardLinkRequest = z.output<typeof cardLinkRequestShape>;

/** `DELETE /api/card-links/<linkId>`, body `{ customerId?, reason? }`. */
export const unlinkRequestSchema = z.object({
  /** When given, the link must be this customer's: a client cannot end another customer's link by its id. */
  customerId: customerIdSchema.optional(),
  reason: z
    .string()
    .trim()
    .min(3, 'reason must be at least 3 characters')
    .max(500, 'reason must be at most 500 characters')
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'reason must not contain control characters')
    .optional(),
});
export type UnlinkRequest = z.output<typeof unlinkRequestSchema>;

// ─── Console: /api/enrollments/** ──────────────────────────────────────────────────────────────────────

/** `GET /api/enrollments?customerId=` */
export const enrollmentSearchSchema = z.object({
  customerId: z
    .string({ error: 'customerId is required: the customer ID to search, such as cus_priya_raman' })
    .trim()
    .min(1, 'customerId is required: the customer ID to search, such as cus_priya_raman')
    .pipe(customerIdSchema),
});

const reasonOf3To500 = z.string().trim().min(3, 'a reason of at least 3 characters is required').max(500, 'the reason is at most 500 characters');

/** `POST /api/enrollments/<workflowId>/recheck`, `{ reason }`. */
export const recheckSchema = z.object({ reason: reasonOf3To500 });
export type RecheckInput = z.input<typeof recheckSchema>;

/** `POST /api/enrollments/<workflowId>/resolve`, `{ matched, reason }`. */
export const manualResolutionSchema = z.object({
  matched: z.boolean({ error: 'matched must be true or false' }),
  reason: freeText('reason', 500).pipe(z.string().min(3, 'a reason of at least 3 characters is required')),
});
export type ManualResolution = z.input<typeof manualResolutionSchema>;

/** `POST /api/enrollments/<workflowId>/unlink`, `{ reason }`: support's unlink needs a reason. */
export const supportUnlinkSchema = z.object({
  reason: z
    .string({ error: 'reason is required' })
    .trim()
    .min(3, 'a reason of at least 3 characters is required')
    .max(500, 'reason is limited to 500 characters')
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'reason must not contain control characters'),
});

const SHADOW_WINDOW_HOURS = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30, all: null } as const;
export type ShadowWindow = keyof typeof SHADOW_WINDOW_HOURS;
export const SHADOW_WINDOWS = Object.keys(SHADOW_WINDOW_HOURS) as [ShadowWindow, ...ShadowWindow[]];

/** `GET /api/enrollments/shadow?window=24h|7d|30d|all` (default 7d). */
export const shadowQuerySchema = z.object({
  window: z.enum(SHADOW_WINDOWS, { error: 'window must be one of 24h, 7d, 30d or all' }).default('7d'),
});

export function windowStart(window: ShadowWindow, now = new Date()): Date | undefined {
  const hours = SHADOW_WINDOW_HOURS[window];
  return hours === null ? undefined : new Date(now.getTime() - hours * 3_600_000);
}

const versionSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'a version is 1-32 letters, digits, _ . or -');

/** `GET /api/enrollments/shadow/mismatches?partnerId=&liveVersion=&candidateVersion=&limit=` */
export const mismatchQuerySchema = z.object({
  partnerId: z.string({ error: 'partnerId is required' }).pipe(partnerIdSchema),
  liveVersion: versionSchema.optional(),
  candidateVersion: versionSchema.optional(),
  limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be 1-200').max(200, 'limit must be 1-200').default(20),
});

// ─── Console: POST /api/partners/<partnerId>/versions ──────────────────────────────────────────────────

/** Admin: shadow a version, stop shadowing, or promote the one in shadow; each with a reason. */
export const partnerVersionChangeSchema = z.discriminatedUnion(
  'action',
  [
    z.object({ action: z.literal('shadow'), version: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'version must be 1-32 letters, digits, _ . or -'), reason: reasonOf3To500 }),
    z.object({ action: z.literal('stop_shadow'), reason: reasonOf3To500 }),
    z.object({ action: z.literal('promote'), reason: reasonOf3To500 }),
  ],
  { error: 'action must be shadow, stop_shadow or promote' },
);
export type PartnerVersionChange = z.input<typeof partnerVersionChangeSchema>;
