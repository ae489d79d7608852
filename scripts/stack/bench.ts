
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Nearest-rank percentiles, rounded to 0.1 ms. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN) * 10) / 10;
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** Signs in through Auth.js's credentials endpoint, as the login form does, and returns the session cookie header. */
export async function signInOverHttp(baseUrl: string, username: string, password: string): Promise<string> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = csrfRes.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ csrfToken, username, password, callbackUrl: '/' }),
  });
  await res.body?.cancel();
  const session = res.headers.getSetCookie().find((cookie) => cookie.startsWith('authjs.session-token='));
  if (!session) throw new Error(`signing in as ${username} failed (HTTP ${res.status}, no session cookie)`);
  return session.split(';')[0]!;
}
