import 'server-only';
import NextAuth, { type NextAuthConfig } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import { z } from 'zod';
import { db } from '../db/client.ts';
import { env } from '../env.ts';
import { logger } from '../logger.ts';
import { ROLES, type Role } from './actor.ts';
import { authenticateLocalUser, userForVerifiedEmail } from './users.ts';

declare module 'next-auth' {
  interface Session {
    user: { id: string; name: string; role: Role };
  }
  interface User {
    username?: string;
    role?: Role;
  }
}

const log = logger.child({ component: 'auth' });
const credentialsSchema = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) });
const tokenSchema = z.object({ username: z.string(), name: z.string(), role: z.enum(ROLES) });

export class MissingAuthSecretError extends Error {
  override name = 'MissingAuthSecretError';
  constructor() {
    super('AUTH_SECRET is not set: the console cannot sign sessions. `npm start` sets one; in production set a random 32+ character secret.');
  }
}

/** Built per request (lazily), so `next build` never needs the environment. */
function config(): NextAuthConfig {
  const settings = env();
  if (!settings.AUTH_SECRET) throw new MissingAuthSecretError();
  const oidc =
    settings.AUTH_OIDC_ISSUER && settings.AUTH_OIDC_CLIENT_ID && settings.AUTH_OIDC_CLIENT_SECRET
      ? [
          {
            id: 'oidc',
            name: settings.AUTH_OIDC_NAME,
            type: 'oidc' as const,
            issuer: settings.AUTH_OIDC_ISSUER,
            clientId: settings.AUTH_OIDC_CLIENT_ID,
            clientSecret: settings.AUTH_OIDC_CLIENT_SECRET,
          },
        ]
      : [];
  const local =
    settings.AUTH_LOCAL_PASSWORDS === 'on'
      ? [
          Credentials({
            credentials: { username: { label: 'Username' }, password: { label: 'Password', type: 'password' } },
            async authorize(raw) {
              const parsed = credentialsSchema.safeParse(raw);
              if (!parsed.success) return null;
              const user = await authenticateLocalUser(db(), parsed.data.username, parsed.data.password);
              if (!user) {
                log.info({ username: parsed.data.username }, 'sign-in refused');
                return null;
              }
              return { id: user.userId, name: user.displayName, username: user.username, role: user.role };
            },
          }),
        ]
      : [];

  return {
    secret: settings.AUTH_SECRET,
    trustHost: true,
    session: { strategy: 'jwt', maxAge: 12 * 60 * 60 },
    pages: { signIn: '/login', error: '/login' },
    providers: [...local, ...oidc],
    callbacks: {
      async signIn({ user, account, profile }) {
        if (account?.provider !== 'oidc') return true;
        // The identity provider vouches for the email; the users table decides whether and as what they may enter.
        const email = typeof profile?.email === 'string' && profile.email_verified !== false ? profile.email : null;
        const known = email ? await userForVerifiedEmail(db(), email) : null;
        if (!known) {
          log.warn({ email }, 'OIDC sign-in refused: no enabled console user with this email');
          return false;
        }
        Object.assign(user, { id: known.userId, name: known.displayName, username: known.username, role: known.role });
        return true;
      },
      jwt({ token, user }) {
        if (user?.role && user.username) Object.assign(token, { username: user.username, name: user.name, role: user.role });
        return token;
      },
      session({ session, token }) {
        const claims = tokenSchema.safeParse(token);
        if (claims.success) session.user = { ...session.user, id: claims.data.username, name: claims.data.name, role: claims.data.role };
        return session;
      },
    },
  };
}

export const { handlers, auth, signIn, signOut } = NextAuth(() => config());

/** Which sign-in methods the login page offers. */
export function signInMethods(): { localPasswords: boolean; oidc: { name: string } | null } {
  const settings = env();
  const oidc = settings.AUTH_OIDC_ISSUER && settings.AUTH_OIDC_CLIENT_ID && settings.AUTH_OIDC_CLIENT_SECRET;
  return { localPasswords: settings.AUTH_LOCAL_PASSWORDS === 'on', oidc: oidc ? { name: settings.AUTH_OIDC_NAME } : null };
}
