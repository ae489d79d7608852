import type { PrismaClient } from '../db/generated/client.ts';
import type { Role } from './actor.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

export interface ConsoleUser {
  userId: string;
  username: string;
  displayName: string;
  role: Role;
}

/** A hash of a password nobody has, so an unknown username costs the same time as a wrong password. */
let decoyHash: Promise<string> | undefined;

/** The user for a username and password, or null; disabled users and OIDC-only users never match. */
export async function authenticateLocalUser(db: PrismaClient, username: string, password: string): Promise<ConsoleUser | null> {
  const user = await db.user.findUnique({ where: { username: username.trim().toLowerCase() } });
  if (!user?.passwordHash || user.disabled) {
    await verifyPassword(password, await (decoyHash ??= hashPassword('decoy-password-never-matches')));
    return null;
  }
  if (!(await verifyPassword(password, user.passwordHash))) return null;
  await db.user.update({ where: { userId: user.userId }, data: { lastLoginAt: new Date() } });
  return { userId: user.userId, username: user.username, displayName: user.displayName, role: user.role };
}

/** OIDC sign-in: the identity provider proves the email; the role comes from our users table. */
export async function userForVerifiedEmail(db: PrismaClient, email: string): Promise<ConsoleUser | null> {
  const user = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  if (!user || user.disabled) return null;
  await db.user.update({ where: { userId: user.userId }, data: { lastLoginAt: new Date() } });
  return { userId: user.userId, username: user.username, displayName: user.displayName, role: user.role };
}

export const DEMO_USERS: readonly { username: string; displayName: string; role: Role }[] = [
  { username: 'associate', displayName: 'Alex Associate', role: 'associate' },
  { username: 'support', displayName: 'Sam Support', role: 'support' },
  { username: 'engineer', displayName: 'Erin Engineer', role: 'engineer' },
  { username: 'admin', displayName: 'Ada Admin', role: 'admin' },
  { username: 'viewer', displayName: 'Val Viewer', role: 'viewer' },
];

export interface DemoLogin {
  username: string;
  password: string;
  role: Role;
}

/**
 * Creates the demo users (one per role) that do not exist yet, with the given passwords, and returns their logins;
 * existing ones are left alone (their passwords are only known to whoever saw them first). So a stack seeded before
 * a role existed gets that role's demo user on its next start.
 */
export async function seedDemoUsers(db: PrismaClient, passwordFor: (role: Role) => string): Promise<DemoLogin[]> {
  const existing = new Set((await db.user.findMany({ where: { username: { in: DEMO_USERS.map((user) => user.username) } }, select: { username: true } })).map((user) => user.username));
  const missing = DEMO_USERS.filter((user) => !existing.has(user.username));
  if (missing.length === 0) return [];
  const logins = missing.map(({ username, role }) => ({ username, role, password: passwordFor(role) }));
  const rows = await Promise.all(
    missing.map(async (user, i) => ({
      userId: `user_${user.username}`,
      username: user.username,
      displayName: user.displayName,
      role: user.role,
      email: `${user.username}@dashops.local`,
      passwordHash: await hashPassword(logins[i]!.password),
    })),
  );
  const { count } = await db.user.createMany({ data: rows, skipDuplicates: true });
  return count === rows.length ? logins : [];
}
