import { redirect } from 'next/navigation';
import { signInMethods } from '@/server/auth/auth.ts';
import { safeReturnPath } from '@/server/auth/return-path.ts';
import { currentUser } from '@/server/auth/session.ts';
import { LoginForm } from './_components/login-form.tsx';

export const dynamic = 'force-dynamic';

const ERRORS: Record<string, string> = {
  AccessDenied: 'Your single sign-on account has no DashOps access. Ask an admin to add your email.',
  Configuration: 'Sign-in is misconfigured on the server; tell the on-call engineer.',
};

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  // Only same-site paths: an open redirect after sign-in would be a phishing aid.
  const callbackUrl = safeReturnPath(params.callbackUrl);
  if (await currentUser()) redirect(callbackUrl);
  const methods = signInMethods();
  const error =
    params.code === 'rate_limited'
      ? 'Too many failed sign-ins; wait 15 minutes and try again.'
      : typeof params.error === 'string'
        ? (ERRORS[params.error] ?? 'Sign-in failed; try again.')
        : null;
  return (
    <div className="mx-auto mt-12 max-w-sm space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Sign in to DashOps</h1>
        <p className="mt-1 text-sm text-slate-600">What you can see and do depends on your role.</p>
      </div>
      {error && (
        <p role="alert" className="rounded border border-red-300 bg-red-50 p-3 text-sm text-red-800">
          {error}
        </p>
      )}
      <LoginForm callbackUrl={callbackUrl} localPasswords={methods.localPasswords} oidcName={methods.oidc?.name ?? null} />
    </div>
  );
}
