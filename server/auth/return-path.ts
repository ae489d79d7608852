/**
 * Where to send a user after sign-in: only a path on this site. Anything else (another origin, a scheme,
 * `//host`, backslashes that browsers read as slashes, control characters, encodings of those) gives `/`,
 * so the login page can never be used to bounce a signed-in user to another site.
 */
const BASE = 'http://dashops.invalid';

export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048 || !value.startsWith('/')) return '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return '/';
  }
  for (const form of [value, decoded]) {
    if (form.startsWith('//') || form.includes('\\') || /[\u0000-\u001f\u007f]/.test(form)) return '/';
  }
  const url = new URL(value, BASE);
  if (url.origin !== BASE) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Back to the login page would loop.
  return path === '/login' || path.startsWith('/login?') || path.startsWith('/login/') ? '/' : path;
}
