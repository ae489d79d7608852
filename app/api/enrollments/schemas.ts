import { z } from 'zod';
import { customerIdSchema } from '@/server/card-link/link-card.ts';

/** `GET /api/enrollments?customerId=` */
export const enrollmentSearchSchema = z.object({
  customerId: z
    .string({ error: 'customerId is required: the customer ID to search, such as cus_priya_raman' })
    .trim()
    .min(1, 'customerId is required: the customer ID to search, such as cus_priya_raman')
    .pipe(customerIdSchema),
});

/** Route segments arrive percent-decoded in current Next.js; decode once more only if a client double-encoded. */
export function workflowIdParam(raw: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(raw)) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

const SHADOW_WINDOWS = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30, all: null } as const;
export type ShadowWindow = keyof typeof SHADOW_WINDOWS;

/** `GET /api/enrollments/shadow?window=24h|7d|30d|all` (default 7d). */
export const shadowQuerySchema = z.object({
  window: z.enum(Object.keys(SHADOW_WINDOWS) as [ShadowWindow, ...ShadowWindow[]], { error: 'window must be one of 24h, 7d, 30d or all' }).default('7d'),
});

export function windowStart(window: ShadowWindow, now = new Date()): Date | undefined {
  const hours = SHADOW_WINDOWS[window];
  return hours === null ? undefined : new Date(now.getTime() - hours * 3_600_000);
}

const versionSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, 'a version is 1-32 letters, digits, _ . or -');

/** `GET /api/enrollments/shadow/mismatches?partnerId=&liveVersion=&candidateVersion=&limit=` */
export const mismatchQuerySchema = z.object({
  partnerId: z.string({ error: 'partnerId is required' }).regex(/^[a-z0-9_-]{1,64}$/, 'partnerId must be 1-64 lower-case letters, digits, _ or -'),
  liveVersion: versionSchema.optional(),
  candidateVersion: versionSchema.optional(),
  limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be 1-200').max(200, 'limit must be 1-200').default(20),
});
