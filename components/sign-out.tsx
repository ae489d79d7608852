import { signOut } from '@/server/auth/auth.ts';
import { Button } from './ui/button.tsx';

/** The header's sign-out: a form that ends the session and returns to /login. */
export function SignOut() {
  async function logOut(): Promise<void> {
    'use server';
    await signOut({ redirectTo: '/login' });
  }
  return (
    <form action={logOut}>
      <Button type="submit" size="sm">
        Sign out
      </Button>
    </form>
  );
}
