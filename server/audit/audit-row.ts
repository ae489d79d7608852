import type { Prisma, PrismaClient } from '../db/generated/client.ts';
import type { SecurityAuditAction } from './security-events.ts';

/**
 * Writing one audit_log row: who did what to which target, why, and the details. Every Prisma audit write goes
 * through `recordAudit`, inside the transaction of the change it records when there is one. The exception is
 * server/inventory/stock.ts: its one-statement adjust writes its row in the same SQL statement as the stock change
 * on purpose (one round trip on the stream's busiest path), and its lot writes still call Prisma directly; their
 * actions are listed here all the same.
 */

/** Every action the log holds. A new one is added here, so a typo fails type-checking, not the audit filter. */
export type AuditAction =
  | 'inventory.adjust'
  | 'inventory.receive_lot'
  | 'inventory.write_off_lot'
  | 'inventory.touch'
  | 'inventory.redrive'
  | 'dead_letter.replay'
  | 'dead_letter.discard'
  | 'dead_letter.bulk_op.started'
  | 'dead_letter.bulk_op.finished'
  | 'dead_letter.bulk_op.cancelled'
  | 'dead_letter.bulk_op.failed'
  | 'card_link.recheck_eligibility'
  | 'card_link.partner_shadow'
  | 'card_link.partner_promote'
  | 'card_link.unlink'
  | 'card_link.resolve_multi_match'
  | SecurityAuditAction;

export interface AuditRow {
  /** A person (`Actor`), `system`, or a caller named by the security events (`partner:<id>`, a username tried). */
  actor: { id: string; role: string };
  action: AuditAction;
  target: string;
  reason?: string | null;
  details: Prisma.InputJsonValue;
}

/**
 * Returns Prisma's lazy promise, not an async function's, so it also fits an array `$transaction([...])`. Pass
 * the transaction client to make the row part of the change's transaction.
 */
export function recordAudit(db: Pick<PrismaClient, 'auditLog'>, row: AuditRow): Prisma.PrismaPromise<{ id: bigint }> {
  return db.auditLog.create({
    data: { actor: row.actor.id, actorRole: row.actor.role, action: row.action, target: row.target, reason: row.reason ?? null, details: row.details },
    select: { id: true },
  });
}
