import { z } from 'zod';
import type { Prisma, PrismaClient } from '../db/generated/client.ts';
import { SECURITY_AUDIT_ACTIONS } from './security-events.ts';

/**
 * Reading the audit log (who did what, when and why). Every mutation elsewhere writes its own row; this module
 * only lists them: filtered, newest first, a page at a time by keyset, so paging stays fast however long the log.
 */

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

const QUERY_KEYS = ['actor', 'action', 'target', 'reason', 'from', 'to', 'cursor', 'limit'] as const;

/** Parses a request's query string; throws ZodError (answered 422) with a message per bad field. */
export function parseAuditQuery(params: URLSearchParams): AuditQuery {
  const raw: Record<string, string> = {};
  for (const key of QUERY_KEYS) {
    const value = params.get(key);
    if (value !== null) raw[key] = value;
  }
  return auditQuerySchema.parse(raw);
}

/** Escapes LIKE wildcards, so "50%" and "a_b" match literally. */
const literal = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

export function auditWhere(query: Partial<Omit<AuditQuery, 'cursor' | 'limit'>>): Prisma.AuditLogWhereInput {
  const where: Prisma.AuditLogWhereInput = {};
  if (query.actor) where.actor = query.actor;
  if (query.action) where.action = query.action;
  if (query.target) where.target = { contains: literal(query.target), mode: 'insensitive' };
  if (query.reason) where.reason = { contains: literal(query.reason), mode: 'insensitive' };
  if (query.from || query.to) where.createdAt = { ...(query.from && { gte: query.from }), ...(query.to && { lte: query.to }) };
  return where;
}

export interface AuditEntry {
  id: string;
  createdAt: string;
  actor: string;
  actorRole: string;
  action: string;
  target: string;
  reason: string | null;
  details: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * One page of the audit log, newest first (created_at, then id, both descending). The cursor is the last
 * entry's id; Prisma compares against that row's own created_at in the database, at full microsecond precision.
 */
export async function listAuditLog(db: PrismaClient, query: AuditQuery): Promise<AuditPage> {
  const rows = await db.auditLog.findMany({
    where: auditWhere(query),
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: query.limit + 1,
    ...(query.cursor && { cursor: { id: BigInt(query.cursor) }, skip: 1 }),
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    entries: page.map((row) => ({
      id: row.id.toString(),
      createdAt: row.createdAt.toISOString(),
      actor: row.actor,
      actorRole: row.actorRole,
      action: row.action,
      target: row.target,
      reason: row.reason,
      details: row.details,
    })),
    nextCursor: rows.length > query.limit && last ? last.id.toString() : null,
  };
}

/** Every action name in the log, plus the sign-in, webhook and card-link API ones even before the first, for the filter's dropdown. */
export async function listAuditActions(db: PrismaClient): Promise<string[]> {
  const rows = await db.$queryRaw<{ action: string }[]>`SELECT DISTINCT action FROM audit_log ORDER BY action LIMIT 1000`;
  return [...new Set([...rows.map((row) => row.action), ...Object.values(SECURITY_AUDIT_ACTIONS)])].sort();
}
