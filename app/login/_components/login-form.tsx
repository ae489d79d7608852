'use client';

import { useActionState } from 'react';
import { Button } from '@/components/ui/button.tsx';
import { logIn, logInWithOidc, type LoginState } from '../actions.ts';

export function LoginForm({ callbackUrl, localPasswords, oidcName }: { callbackUrl: string; localPasswords: boolean; oidcName: string | null }) {
  const [state, action, pending] = useActionState<LoginState, FormData>(logIn, { error: null, username: '' });
  return (
    <div className="space-y-4">
      {localPasswords && (
        <form action={action} className="space-y-4 rounded-lg border border-slate-200 bg-white p-5" noValidate>
          <input type="hidden" name="callbackUrl" value={callbackUrl} />
          <div>
            <label htmlFor="username" className="block text-sm font-medium">
              Username
            </label>
            <input
              id="username"
              name="username"
              autoComplete="username"
              defaultValue={state.username}
              required
              autoFocus
              className="mt-1 w-full rounded border border-slate-300 px-3 py-2 text-sm"
            />
          </div>
          <div>
            <label htmlFor="password" className="block text-sm font-medium">
              Password
            </label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              aria-describedby={state.error ? 'login-error' : undefined}
              className="mt-1 w-full rounded border border-slate-300 px-3 py-2 text-sm"
            />
          </div>
          {state.error && (
            <p id="login-error" role="alert" className="text-sm text-red-700">
              {state.error}
            </p>
          )}
          <Button type="submit" variant="primary" size="lg" loading={pending} loadingText="Signing in…" className="w-full">
            Sign in
          </Button>
        </form>
      )}
      {oidcName && (
        <form action={logInWithOidc}>
          <input type="hidden" name="callbackUrl" value={callbackUrl} />
          <Button type="submit" size="lg" className="w-full">
            Sign in with {oidcName}
          </Button>
        </form>
      )}
      {!localPasswords && !oidcName && (
        <p role="alert" className="text-sm text-red-700">
          No sign-in method is configured (AUTH_LOCAL_PASSWORDS=off and no AUTH_OIDC_*).
        </p>
      )}
    </div>
  );
}
