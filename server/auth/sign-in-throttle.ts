import type { PrismaClient } from '../db/generated/client.ts';
import { SECURITY_AUDIT_ACTIONS } from '../audit/security-events.ts';

/**
 * Sign-in rate limits, counted from the audit log's failed sign-ins, so every console replica sees the same
 * count without a store of its own. A username's count restarts at its last successful sign-in; a client's does not.
 */
export const SIGN_IN_LIMITS = { perUsername: 5, perClient: 20, windowMs: 15 * 60_000 } as const;

export interface SignInAttempt {
  /** As typed, lower-cased: unknown usernames are limited too, so the limit tells nothing about who exists. */
  username: string;
  client: string;
}

export interface SignInRefusal {
  by: 'username' | 'client';
  retryAfterMs: number;
}

/** The audit target of a sign-in attempt. */
export const signInTarget = (username: string) => `user:${username.trim().toLowerCase()}`;

/**
 * The client address from the request: the right-most X-Forwarded-For entry, the one the nearest proxy added
 * (Next.js fills the header with the socket address when no proxy did).
 */
export function clientAddress(headers: Headers): string {
  const hops = (headers.get('x-forwarded-for') ?? '').split(',').map((hop) => hop.trim()).filter(Boolean);
  return hops.at(-1)?.slice(0, 64) ?? 'unknown';
}

/** Why this attempt may not even be checked, or null when it may. */
export async function signInRefusal(db: Pick<PrismaClient, 'auditLog'>, attempt: SignInAttempt, now = new Date()): Promise<SignInRefusal | null> {
  const since = new Date(now.getTime() - SIGN_IN_LIMITS.windowMs);
  const target = signInTarget(attempt.username);
  const [lastSuccess, byUsername, byClient] = await Promise.all([
    db.auditLog.findFirst({
      where: { action: SECURITY_AUDIT_ACTIONS.signInSucceeded, target, createdAt: { gt: since } },
      orderBy: { createdAt: 'desc' },
      select: { createdAt: true },
    }),
    db.auditLog.findMany({
      where: { action: SECURITY_AUDIT_ACTIONS.signInFailed, target, createdAt: { gt: since } },
      orderBy: { createdAt: 'desc' },
      take: SIGN_IN_LIMITS.perUsername,
      select: { createdAt: true },
    }),
    db.auditLog.findMany({
      where: { action: SECURITY_AUDIT_ACTIONS.signInFailed, createdAt: { gt: since }, details: { path: ['client'], equals: attempt.client } },
      orderBy: { createdAt: 'desc' },
      take: SIGN_IN_LIMITS.perClient,
      select: { createdAt: true },
    }),
  ]);
  const counted = byUsername.filter((row) => !lastSuccess || row.createdAt > lastSuccess.createdAt);
  // Refused until the oldest of the counted failures leaves the window.
  const until = (rows: { createdAt: Date }[]) => Math.max(1000, rows.at(-1)!.createdAt.getTime() + SIGN_IN_LIMITS.windowMs - now.getTime());
  if (counted.length >= SIGN_IN_LIMITS.perUsername) return { by: 'username', retryAfterMs: until(counted) };
  if (byClient.length >= SIGN_IN_LIMITS.perClient) return { by: 'client', retryAfterMs: until(byClient) };
  return null;
}

export function signInRefusalMessage(refusal: SignInRefusal): string {
  const minutes = Math.ceil(refusal.retryAfterMs / 60_000);
  return `Too many failed sign-ins ${refusal.by === 'username' ? 'for this username' : 'from your network'}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}
