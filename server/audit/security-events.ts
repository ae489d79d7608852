import type { Prisma, PrismaClient } from '../db/generated/client.ts';
import { recordAudit } from './audit-row.ts';

/**
 * Audit rows for what crosses the trust boundary: sign-ins, partner webhooks and card-link service calls.
 * Written outside any business transaction, after the outcome is known, so a refusal is recorded too.
 */

export const SECURITY_AUDIT_ACTIONS = {
  signInSucceeded: 'auth.sign_in',
  signInFailed: 'auth.sign_in_failed',
  signInThrottled: 'auth.sign_in_throttled',
  webhookReceived: 'partner_webhook.received',
  cardLinkCall: 'card_link_api.call',
} as const;

export type SecurityAuditAction = (typeof SECURITY_AUDIT_ACTIONS)[keyof typeof SECURITY_AUDIT_ACTIONS];

export interface SecurityEvent {
  action: SecurityAuditAction;
  /** Who acted: a username, `partner:<id>` or `service:card-link`. */
  actor: string;
  actorRole: string;
  target: string;
  reason?: string;
  details: Prisma.InputJsonObject;
}

/** Strips control characters and bounds length: these strings come from unauthenticated callers. */
export function auditText(value: string, max = 200): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, max);
}

export async function recordSecurityEvent(db: Pick<PrismaClient, 'auditLog'>, event: SecurityEvent): Promise<void> {
  await recordAudit(db, {
    actor: { id: auditText(event.actor, 100), role: event.actorRole },
    action: event.action,
    target: auditText(event.target),
    reason: event.reason === undefined ? null : auditText(event.reason),
    details: event.details,
  });
}
