import 'server-only';
import { ZodError } from 'zod';
import { canAccess, canChange, type Area } from '../auth/access.ts';
import { currentUser, type SignedInUser } from '../auth/session.ts';
import { logger } from '../logger.ts';
import { HttpError } from './http-error.ts';
import { readJsonBody } from './json-body.ts';

export { HttpError };

const log = logger.child({ component: 'api' });
const NO_STORE = { 'cache-control': 'no-store' } as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- error classes take any constructor arguments
type ErrorClass = abstract new (...args: any[]) => Error;

export interface RouteContext<Params> {
  request: Request;
  user: SignedInUser;
  params: Params;
  /** The request body as JSON: over 1 MB is answered 413, not UTF-8 or not JSON 400, a NUL in any string 422. */
  json(): Promise<unknown>;
  /** The query string, for GET filters. */
  searchParams: URLSearchParams;
}

export interface RouteOptions {
  /** Only roles that may see this console area may call the route. */
  area: Area;
  /** Expected domain errors and the status each is answered with (message passed through). */
  errors?: readonly (readonly [ErrorClass, number])[];
}

/** Mutations must come from the console's own pages: same origin, JSON body (CSRF defence beside SameSite cookies). */
function crossSiteRefusal(request: Request): string | null {
  const origin = request.headers.get('origin');
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
  if (origin) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return 'The Origin header is not a URL.';
    }
    if (originHost !== host) return `Cross-site request refused: origin ${origin} is not this console.`;
  } else if (request.headers.get('sec-fetch-site') !== 'same-origin') {
    return 'Cross-site request refused: the request carries neither an Origin header nor Sec-Fetch-Site: same-origin.';
  }
  if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    return 'Mutations take a JSON body (Content-Type: application/json).';
  }
  return null;
}

/** Postgres text cannot hold NUL: a path segment or query parameter with one is refused here, for every route. */
function nulRefusal(params: unknown, searchParams: URLSearchParams): { path: string[]; message: string } | null {
  const segments = params && typeof params === 'object' ? Object.entries(params as Record<string, unknown>) : [];
  for (const [name, value] of [...segments, ...searchParams.entries()]) {
    const text = Array.isArray(value) ? value.join('/') : String(value);
    if (name.includes('\u0000') || text.includes('\u0000')) return { path: [name], message: `${name}: must not contain control characters (such as NUL)` };
  }
  return null;
}

function errorJson(status: number, error: string, extra?: Record<string, unknown>): Response {
  return Response.json({ error, ...extra }, { status, headers: NO_STORE });
}

/**
 * Wraps a route handler with what every console API route needs: sign-in (401), the area's roles (403), a CSRF
 * check on mutations (403), validation errors as 422 with the issues, the route's expected errors with their
 * statuses, and anything else logged and answered 500 without internals. A plain returned value is sent as JSON.
 */
export function apiRoute<Params = Record<string, never>>(
  options: RouteOptions,
  handler: (ctx: RouteContext<Params>) => Promise<unknown>,
): (request: Request, segment: { params: Promise<Params> }) => Promise<Response> {
  return async (request, segment) => {
    const route = `${request.method} ${new URL(request.url).pathname}`;
    let user: SignedInUser | null = null;
    try {
      user = await currentUser();
      if (!user) return errorJson(401, 'Sign in to use the console API.');
      if (!canAccess(user.role, options.area)) {
        return errorJson(403, `Your role (${user.role}) may not use ${options.area}.`);
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        if (!canChange(user.role, options.area)) return errorJson(403, `Your role (${user.role}) may read ${options.area} but not change anything.`);
        const refusal = crossSiteRefusal(request);
        if (refusal) return errorJson(403, refusal);
      }
      const params = (await segment.params) ?? ({} as Params);
      const searchParams = new URL(request.url).searchParams;
      const nul = nulRefusal(params, searchParams);
      if (nul) return errorJson(422, nul.message, { issues: [nul] });
      const result = await handler({
        request,
        user,
        params,
        searchParams,
        json: () => readJsonBody(request),
      });
      return result instanceof Response ? result : Response.json(result ?? null, { headers: NO_STORE });
    } catch (err) {
      if (err instanceof HttpError) return errorJson(err.status, err.message, err.details);
      if (err instanceof ZodError) {
        return errorJson(422, err.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; '), {
          issues: err.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
        });
      }
      const expected = options.errors?.find(([type]) => err instanceof type);
      if (expected && err instanceof Error) return errorJson(expected[1], err.message);
      log.error({ err, route, user: user?.id }, 'API route failed unexpectedly');
      return errorJson(500, 'Something went wrong on the server; it has been logged. Try again, and tell the on-call engineer if it persists.');
    }
  };
}
