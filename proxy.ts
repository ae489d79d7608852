import { getToken } from 'next-auth/jwt';
import { NextResponse, type NextRequest } from 'next/server';
import { isServerActionRequest, serverActionProblem, undecodablePath } from './server/http/malformed-request.ts';

/** Files a page visit never asks for; they stay open (Next's own `/_next/…` paths are outside the matcher). */
const STATIC_FILE = /\.(?:ico|png|jpe?g|gif|svg|webp|avif|txt|xml|css|js|map|woff2?|ttf|webmanifest)$/i;

/**
 * In front of every route: requests Next.js cannot decode get a 4xx naming what is wrong instead of its bare
 * 500 (server/http/malformed-request.ts). Then a page visit without a valid session gets a real redirect (307)
 * to the login page, with the page as callbackUrl, before anything renders. This only checks that the session
 * cookie is genuine and unexpired; the pages still check the users row and the role themselves
 * (server/auth/session.ts).
 */
export async function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const badPath = undecodablePath(pathname);
  if (badPath) return NextResponse.json({ error: badPath.error }, { status: badPath.status });
  // API routes answer 401/403 themselves.
  if (pathname.startsWith('/api/')) return NextResponse.next();
  if (isServerActionRequest(request)) {
    const problem = await serverActionProblem(request.clone());
    if (problem) return NextResponse.json({ error: problem.error }, { status: problem.status });
  }
  // Server actions and other non-GET requests check the session themselves and answer in kind.
  if (request.method !== 'GET' && request.method !== 'HEAD') return NextResponse.next();
  if (pathname === '/login' || pathname.startsWith('/login/') || STATIC_FILE.test(pathname)) return NextResponse.next();
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
  // Everything but Next's own paths (assets, dev reload): API routes are checked for undecodable paths too.
  matcher: ['/((?!_next/|favicon\\.ico$).*)'],
};
