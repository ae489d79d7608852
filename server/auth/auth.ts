import 'server-only';
import NextAuth, { CredentialsSignin, type NextAuthConfig } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import { z } from 'zod';
import { db } from '../db/client.ts';
import { auditText, recordSecurityEvent, SECURITY_AUDIT_ACTIONS } from '../audit/security-events.ts';
import { env } from '../env.ts';
import { logger } from '../logger.ts';
import { ROLES, type Role } from './actor.ts';
import { verifiedOidcEmail } from './oidc-email.ts';
import { refreshSessionClaims } from './session-claims.ts';
import { clientAddress, signInRefusal, signInTarget, type SignInRefusal } from './sign-in-throttle.ts';
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
const credentialsSchema = z.object({
  username: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[^\u0000-\u001f\u007f]+$/),
  password: z.string().min(1).max(256),
});
const tokenSchema = z.object({ username: z.string(), name: z.string(), role: z.enum(ROLES), checkedAt: z.number().optional() });

/** Too many failed sign-ins for this username or client: refused before the password is even checked. */
export class SignInThrottledError extends CredentialsSignin {
  override code = 'rate_limited';
  constructor(readonly refusal: SignInRefusal) {
    super();
  }
}

type SignInOutcome = 'succeeded' | 'failed' | 'throttled';
const SIGN_IN_ACTIONS = {
  succeeded: SECURITY_AUDIT_ACTIONS.signInSucceeded,
  failed: SECURITY_AUDIT_ACTIONS.signInFailed,
  throttled: SECURITY_AUDIT_ACTIONS.signInThrottled,
} as const;

/** Every sign-in attempt is audited with the username tried and the client; failures also feed the rate limit. */
async function auditSignIn(outcome: SignInOutcome, attempt: { username: string; client: string; method: 'password' | 'oidc'; role?: Role; reason?: string }) {
  await recordSecurityEvent(db(), {
    action: SIGN_IN_ACTIONS[outcome],
    actor: attempt.username || '(none)',
    actorRole: attempt.role ?? 'anonymous',
    target: signInTarget(attempt.username),
    ...(attempt.reason ? { reason: attempt.reason } : {}),
    details: { username: auditText(attempt.username, 100), client: auditText(attempt.client, 64), method: attempt.method, outcome },
  });
}

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
            async authorize(raw, request) {
              const parsed = credentialsSchema.safeParse(raw);
              if (!parsed.success) return null;
              const attempt = { username: parsed.data.username.toLowerCase(), client: clientAddress(request.headers), method: 'password' as const };
              const refusal = await signInRefusal(db(), attempt);
              if (refusal) {
                await auditSignIn('throttled', { ...attempt, reason: `too many failed sign-ins for this ${refusal.by}` });
                log.warn({ ...attempt, by: refusal.by }, 'sign-in refused: rate limited');
                throw new SignInThrottledError(refusal);
              }
              const user = await authenticateLocalUser(db(), parsed.data.username, parsed.data.password);
              if (!user) {
                await auditSignIn('failed', { ...attempt, reason: 'wrong username or password' });
                log.info({ username: parsed.data.username }, 'sign-in refused');
                return null;
              }
              await auditSignIn('succeeded', { ...attempt, role: user.role });
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
        const email = verifiedOidcEmail(profile);
        const known = email ? await userForVerifiedEmail(db(), email) : null;
        const attempt = { username: typeof profile?.email === 'string' ? profile.email.toLowerCase() : '', client: 'oidc', method: 'oidc' as const };
        if (!known) {
          const reason = email ? 'no enabled console user with this email' : 'the identity provider did not verify the email';
          await auditSignIn('failed', { ...attempt, reason });
          log.warn({ email: profile?.email }, `OIDC sign-in refused: ${reason}`);
          return false;
        }
        await auditSignIn('succeeded', { ...attempt, role: known.role });
        Object.assign(user, { id: known.userId, name: known.displayName, username: known.username, role: known.role });
        return true;
      },
      async jwt({ token, user }) {
        if (user?.role && user.username) return Object.assign(token, { username: user.username, name: user.name, role: user.role, checkedAt: Date.now() });
        const claims = tokenSchema.safeParse(token);
        if (!claims.success) return null;
        // A disabled user or a changed role shows within SESSION_RECHECK_MS; null ends the session.
        const fresh = await refreshSessionClaims(db(), claims.data);
        return fresh ? Object.assign(token, fresh) : null;
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
