import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Why a scrape of the console's `/api/metrics` is refused, or null when it carries the configured bearer token.
 * Unset, the endpoint does not exist (404): the console's metrics are opt-in, unlike the worker's loopback ones.
 */
export function scrapeRefusal(authorization: string | null, configured: string | undefined): { status: 401 | 404; error: string } | null {
  if (!configured) return { status: 404, error: 'Not found: set METRICS_TOKEN to serve the console metrics here.' };
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!presented) return { status: 401, error: 'Send METRICS_TOKEN as "Authorization: Bearer <token>".' };
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(configured)) ? null : { status: 401, error: 'The metrics token is not valid.' };
}
