import type { Prisma, PrismaClient } from '../db/generated/client.ts';
import type { AuditQuery } from './requests.ts';
import { SECURITY_AUDIT_ACTIONS } from './security-events.ts';

/**
 * Reading the audit log (who did what, when and why). Every mutation elsewhere writes its own row; this module
 * only lists them: filtered, newest first, a page at a time by keyset, so paging stays fast however long the log.
 * The query string's schema is in server/audit/requests.ts.
 */

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

/** `GET /api/audit/actions`. */
export interface AuditActionsResponse {
  actions: string[];
}

/** Every action name in the log, plus the sign-in, webhook and card-link API ones even before the first, for the filter's dropdown. */
export async function listAuditActions(db: PrismaClient): Promise<string[]> {
  const rows = await db.$queryRaw<{ action: string }[]>`SELECT DISTINCT action FROM audit_log ORDER BY action LIMIT 1000`;
  return [...new Set([...rows.map((row) => row.action), ...Object.values(SECURITY_AUDIT_ACTIONS)])].sort();
}
