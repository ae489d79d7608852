import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Why a service call to the card-link API is refused, or null when its bearer token is the configured one.
 * The console's sessions are for people; the customer app's backend authenticates with this token instead.
 */
export function serviceTokenRefusal(authorization: string | null, configured: string | undefined): { status: 401 | 503; error: string } | null {
  if (!configured) return { status: 503, error: 'The card-link API is not configured on this server (CARD_LINK_API_TOKEN is unset).' };
  const presented = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!presented) return { status: 401, error: 'Send the service token as "Authorization: Bearer <token>".' };
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(configured)) ? null : { status: 401, error: 'The service token is not valid.' };
}
