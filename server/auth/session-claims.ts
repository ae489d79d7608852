import type { PrismaClient } from '../db/generated/client.ts';
import type { Role } from './actor.ts';

/**
 * Session claims kept fresh: a session re-reads its users row at most this often, so disabling a user or
 * changing a role takes effect within a minute rather than when the 12-hour session ends.
 */
export const SESSION_RECHECK_MS = 60_000;

export interface SessionClaims {
  username: string;
  name: string;
  role: Role;
  /** Epoch ms of the last users-row read; absent on sessions issued before this check existed. */
  checkedAt?: number;
}

/** The claims to keep, re-read from the users row when due; null ends the session (user gone or disabled). */
export async function refreshSessionClaims(db: Pick<PrismaClient, 'user'>, claims: SessionClaims, now = Date.now()): Promise<SessionClaims | null> {
  if (claims.checkedAt !== undefined && now - claims.checkedAt >= 0 && now - claims.checkedAt < SESSION_RECHECK_MS) return claims;
  const user = await db.user.findUnique({ where: { username: claims.username }, select: { displayName: true, role: true, disabled: true } });
  if (!user || user.disabled) return null;
  return { username: claims.username, name: user.displayName, role: user.role, checkedAt: now };
}
