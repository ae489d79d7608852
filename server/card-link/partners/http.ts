import { PartnerProtocolError, PartnerRejectedError, PartnerUnavailableError } from './errors.ts';
import type { PartnerHttp } from './partner.ts';

export { NON_RETRYABLE_PARTNER_ERRORS, PartnerProtocolError, PartnerRejectedError, PartnerUnavailableError } from './errors.ts';

export const DEFAULT_PARTNER_TIMEOUT_MS = 2_000;

export interface PartnerHttpOptions {
  /** Per request, connection included. */
  timeoutMs?: number;
}

/** 408 and 429 are 4xx, but they say "later", not "never". */
const TRANSIENT_CLIENT_STATUSES = new Set([408, 429]);

/**
 * PartnerHttp over fetch. The partner's API lives under `${baseUrl}/partners/${partnerId}` (the partner sandbox
 * in development and tests, the partner gateway in production), so integrations use paths like `/eligibility`.
 */
export function createPartnerHttp(baseUrl: string, partnerId: string, options: PartnerHttpOptions = {}): PartnerHttp {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PARTNER_TIMEOUT_MS;
  const root = `${baseUrl.replace(/\/+$/, '')}/partners/${encodeURIComponent(partnerId)}`;

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const what = `${method} ${path}`;
    let res: Response;
    try {
      res = await fetch(root + path, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const reason = timedOut ? `timed out after ${timeoutMs} ms` : `failed: ${describe(err)}`;
      throw new PartnerUnavailableError(partnerId, `${partnerId} ${what} ${reason}`, undefined, { cause: err });
    }

    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      // The body timed out or the connection dropped half-way: the partner may answer next time.
      throw new PartnerUnavailableError(partnerId, `${partnerId} ${what}: reading the response failed: ${describe(err)}`, res.status, {
        cause: err,
      });
    }
    if (res.status >= 500 || TRANSIENT_CLIENT_STATUSES.has(res.status)) {
      throw new PartnerUnavailableError(partnerId, `${partnerId} ${what} answered ${res.status}`, res.status);
    }
    if (res.status >= 400) {
      throw new PartnerRejectedError(partnerId, `${partnerId} ${what} answered ${res.status}: ${text.slice(0, 200)}`, res.status, parseOrText(text));
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new PartnerProtocolError(partnerId, `${partnerId} ${what} answered ${res.status} with a body that is not JSON`, { cause: err });
    }
  }

  return {
    post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
    get: <T>(path: string) => call<T>('GET', path),
  };
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch reports "fetch failed" and keeps the useful part (ECONNREFUSED, …) in its cause.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
