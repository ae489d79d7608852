import { getToken } from 'next-auth/jwt';
import { NextResponse, type NextRequest } from 'next/server';

/**
 * A page visit without a valid session gets a real redirect (307) to the login page, with the page as
 * callbackUrl, before anything renders. This only checks that the session cookie is genuine and unexpired; the
 * pages still check the users row and the role themselves (server/auth/session.ts).
 */
export async function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  // Server actions and other non-GET requests check the session themselves and answer in kind.
  if (request.method !== 'GET' && request.method !== 'HEAD') return NextResponse.next();
  if (pathname === '/login' || pathname.startsWith('/login/')) return NextResponse.next();
  const secret = process.env.AUTH_SECRET;
  // Without a secret the pages say what is misconfigured; nothing to verify here.
  if (!secret) return NextResponse.next();
  // Auth.js names the cookie __Secure-… when the console is reached over HTTPS (directly or through a proxy).
  const secureCookie = request.nextUrl.protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
  const token = await getToken({ req: request, secret, secureCookie });
  if (token) return NextResponse.next();
  const login = request.nextUrl.clone();
  login.pathname = '/login';
  login.search = '';
  login.searchParams.set('callbackUrl', `${pathname}${search}`);
  return NextResponse.redirect(login, 307);
}

export const config = {
  // Pages only: API routes answer 401/403 themselves; Auth.js, Next's assets and files with an extension stay open.
  matcher: ['/((?!api/|_next/|favicon\\.ico$|.*\\.[A-Za-z0-9]+$).*)'],
};
