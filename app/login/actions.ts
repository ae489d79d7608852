'use server';

import { AuthError } from 'next-auth';
import { signIn, signOut } from '@/server/auth/auth.ts';

export interface LoginState {
  error: string | null;
  username: string;
}

/** Only same-site paths: an open redirect after sign-in would be a phishing aid. */
function safeReturnPath(value: FormDataEntryValue | null): string {
  const path = typeof value === 'string' ? value : '/';
  return path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/login') ? path : '/';
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

export async function logOut(): Promise<void> {
  await signOut({ redirectTo: '/login' });
}
