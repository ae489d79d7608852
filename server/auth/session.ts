import 'server-only';
import { forbidden, redirect } from 'next/navigation';
import { cache } from 'react';
import type { Actor, Role } from './actor.ts';
import { canAccess, type Area } from './access.ts';
import { auth } from './auth.ts';

export interface SignedInUser extends Actor {
  role: Role;
  name: string;
}

/**
 * The signed-in user, or null. Memoised per server render: the root layout, an area's layout and its page each
 * ask, and the session cookie is decrypted once.
 */
export const currentUser = cache(async (): Promise<SignedInUser | null> => {
  const session = await auth();
  const user = session?.user;
  if (!user?.id || !user.role) return null;
  return { id: user.id, name: user.name, role: user.role };
});

/** For pages: sends a visitor to sign in, and answers 403 to a user whose role may not see the area. */
export async function requireArea(area: Area, returnTo: string): Promise<SignedInUser> {
  const user = await currentUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(returnTo)}`);
  if (!canAccess(user.role, area)) forbidden();
  return user;
}

/** For pages open to every signed-in user. */
export async function requireSignedIn(returnTo: string): Promise<SignedInUser> {
  const user = await currentUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(returnTo)}`);
  return user;
}

/**
 * For an area's layout.tsx: a signed-in user whose role may not see the area gets a real HTTP 403. Layouts render
 * before the segment's loading.tsx starts streaming (a page's own check would come after a 200 was sent).
 * Visitors who are not signed in pass through to the page, which sends them to sign in with the exact URL.
 */
export async function forbidOutsideArea(area: Area): Promise<void> {
  const user = await currentUser();
  if (user && !canAccess(user.role, area)) forbidden();
}
