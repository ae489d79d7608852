'use server';

import { AuthError } from 'next-auth';
import { SignInThrottledError, signIn } from '@/server/auth/auth.ts';
import { safeReturnPath } from '@/server/auth/return-path.ts';
import { signInRefusalMessage } from '@/server/auth/sign-in-throttle.ts';

export interface LoginState {
  error: string | null;
  username: string;
}

export async function logIn(_previous: LoginState, form: FormData): Promise<LoginState> {
  const field = (name: string) => {
    const value = form.get(name);
    return typeof value === 'string' ? value : '';
  };
  const username = field('username').trim();
  const password = field('password');
  if (!username || !password) return { error: 'Enter your username and password.', username };
  try {
    await signIn('credentials', { username, password, redirectTo: safeReturnPath(form.get('callbackUrl')) });
  } catch (err) {
    // signIn redirects by throwing on success; only Auth.js's own errors mean the sign-in failed.
    if (err instanceof SignInThrottledError) return { error: signInRefusalMessage(err.refusal), username };
    if (err instanceof AuthError) {
      return {
        error: err.type === 'CredentialsSignin' ? 'Wrong username or password.' : 'Sign-in failed; try again.',
        username,
      };
    }
    throw err;
  }
  return { error: null, username };
}

export async function logInWithOidc(form: FormData): Promise<void> {
  await signIn('oidc', { redirectTo: safeReturnPath(form.get('callbackUrl')) });
}
