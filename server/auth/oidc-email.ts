/**
 * The email an OIDC identity provider vouches for, or null. Only a boolean `email_verified: true` counts: a
 * missing claim, the string "true" or "false", or 1 could be an unverified address someone typed in.
 */
export function verifiedOidcEmail(profile: { email?: unknown; email_verified?: unknown } | undefined): string | null {
  if (!profile || profile.email_verified !== true || typeof profile.email !== 'string') return null;
  const email = profile.email.trim().toLowerCase();
  return email.includes('@') ? email : null;
}
