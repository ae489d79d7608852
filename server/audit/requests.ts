import { z } from 'zod';

/** The audit area's requests: `GET /api/audit`'s query string (a ZodError answers 422, naming the field). */

const text = (max: number, what: string) =>
  z
    .string()
    .trim()
    .max(max, `${what} is limited to ${max} characters`)
    .optional()
    .transform((value) => (value ? value : undefined));

const instant = (what: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value ? value : undefined))
    .pipe(z.iso.datetime({ offset: true, error: `${what} must be an ISO date-time, e.g. 2025-01-31T09:00:00Z` }).optional())
    .transform((value) => (value ? new Date(value) : undefined));

export const AUDIT_PAGE_SIZE = 50;

/** The audit log's filters, as the query string carries them. Empty fields mean "any". */
export const auditQuerySchema = z
  .object({
    actor: text(100, 'actor'),
    action: text(100, 'action'),
    target: text(200, 'target'),
    reason: text(200, 'reason'),
    from: instant('from'),
    to: instant('to'),
    cursor: z
      .string()
      .regex(/^\d{1,19}$/, 'cursor is not a valid page cursor; start again from the first page')
      .optional(),
    limit: z.coerce.number().int('limit must be a whole number').min(1, 'limit must be at least 1').max(200, 'limit is at most 200').default(AUDIT_PAGE_SIZE),
  })
  .refine((query) => !query.from || !query.to || query.from <= query.to, { path: ['to'], message: '"to" must not be before "from"' });

export type AuditQuery = z.output<typeof auditQuerySchema>;

/** The filters a reader sets (the page keeps them in its URL); cursor and limit page through the result. */
export const AUDIT_FILTER_KEYS = ['actor', 'action', 'target', 'reason', 'from', 'to'] as const;
export type AuditFilterKey = (typeof AUDIT_FILTER_KEYS)[number];
const QUERY_KEYS = [...AUDIT_FILTER_KEYS, 'cursor', 'limit'] as const;

/** Parses a request's query string; throws ZodError (answered 422) with a message per bad field. */
export function parseAuditQuery(params: URLSearchParams): AuditQuery {
  const raw: Record<string, string> = {};
  for (const key of QUERY_KEYS) {
    const value = params.get(key);
    if (value !== null) raw[key] = value;
  }
  return auditQuerySchema.parse(raw);
}
