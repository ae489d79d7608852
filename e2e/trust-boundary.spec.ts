import { createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, logIn, loginFor, test } from './fixtures.ts';
import { withDb } from './support/db.ts';

/** `npm test` passes the stack's webhook secrets; against `npm start`, the ones it keeps in .data/. */
function webhookSecret(partnerId: string): string {
  const all = process.env.PARTNER_WEBHOOK_SECRETS ?? fs.readFileSync(path.join(import.meta.dirname, '..', '.data', 'partner-webhook-secrets'), 'utf8').trim();
  const pair = all.split(',').find((entry) => entry.startsWith(`${partnerId}=`));
  if (!pair) throw new Error(`no webhook secret for ${partnerId}`);
  return pair.slice(partnerId.length + 1);
}

/** Signed as the README says a partner must: HMAC-SHA256 of "<unix seconds>.<body>". */
function signed(secret: string, body: string, at = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(at / 1000));
  return {
    'content-type': 'application/json',
    'x-dashops-timestamp': timestamp,
    'x-dashops-signature': `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`,
  };
}

test('every answer carries the security headers', async ({ request }) => {
  for (const url of ['/login', '/api/health']) {
    const res = await request.get(url, { maxRedirects: 0 });
    expect(res.headers()['content-security-policy'], url).toContain("frame-ancestors 'none'");
    expect(res.headers()['x-content-type-options'], url).toBe('nosniff');
    expect(res.headers()['referrer-policy'], url).toBe('strict-origin-when-cross-origin');
  }
});

test('a page visit without a session is redirected by the server to /login with the page as callbackUrl', async ({ request }) => {
  for (const url of ['/', '/inventory', '/audit?action=auth.sign_in']) {
    const res = await request.get(url, { maxRedirects: 0 });
    expect(res.status(), url).toBe(307);
    const location = new URL(res.headers().location!, 'http://console');
    expect(location.pathname, url).toBe('/login');
    expect(location.searchParams.get('callbackUrl'), url).toBe(url);
  }
  // What must stay reachable without a session.
  expect((await request.get('/login', { maxRedirects: 0 })).status()).toBe(200);
  expect((await request.get('/api/auth/csrf', { maxRedirects: 0 })).status()).toBe(200);
  expect((await request.post('/api/card-links', { data: {}, maxRedirects: 0 })).status()).toBe(401);
  // A forged session cookie is no session.
  const forged = await request.get('/inventory', { maxRedirects: 0, headers: { cookie: 'authjs.session-token=forged' } });
  expect(forged.status()).toBe(307);
});

test('/api/health tells the public only up or down, and a signed-in user the details', async ({ page, request }) => {
  const res = await request.get('/api/health');
  expect([200, 503]).toContain(res.status());
  expect(await res.json()).toEqual({ status: res.status() === 200 ? 'up' : 'down' });

  await logIn(page, 'associate');
  const detailed = (await (await page.request.get('/api/health')).json()) as { status: string; checks: { service: string }[] };
  expect(detailed.status).toMatch(/^(up|down)$/);
  expect(detailed.checks.map((check) => check.service).sort()).toEqual(['kafka', 'postgres', 'temporal', 'worker']);
});

test('after sign-in, callbackUrl can only lead to a page of the console', async ({ page, baseURL }) => {
  await logIn(page, 'associate');
  for (const evil of ['/%5Cevil.example', '//evil.example', '/\\evil.example', 'https://evil.example/']) {
    await page.goto(`/login?callbackUrl=${encodeURIComponent(evil)}`);
    await expect(page).toHaveURL(`${baseURL}/`);
  }
  await page.goto(`/login?callbackUrl=${encodeURIComponent('/inventory')}`);
  await expect(page).toHaveURL(`${baseURL}/inventory`);
});

test('partner webhooks: unsigned, forged, stale and unknown-partner deliveries get the same 401; a signed one is heard and audited', async ({ page, request }) => {
  const reference = `e2e-ref-${randomUUID()}`;
  const body = JSON.stringify({ partnerId: 'chase', reference, matched: true });
  const secret = webhookSecret('chase');
  const refusals = [
    { what: 'unsigned', partner: 'chase', headers: { 'content-type': 'application/json' } },
    { what: 'another partner’s secret', partner: 'chase', headers: signed(webhookSecret('afterpay'), body) },
    { what: 'a body changed after signing', partner: 'chase', headers: signed(secret, body.replace('true', 'false')) },
    { what: 'older than 5 minutes', partner: 'chase', headers: signed(secret, body, Date.now() - 6 * 60_000) },
    { what: 'a partner without a secret', partner: 'nobody', headers: signed(secret, body) },
  ];
  for (const refusal of refusals) {
    const res = await request.post(`/api/partner-webhooks/${refusal.partner}`, { headers: refusal.headers, data: body });
    expect(res.status(), refusal.what).toBe(401);
    expect(await res.json(), refusal.what).toEqual({ error: 'Unauthorized.' });
  }
  // Signed correctly, it gets past the signature: the reference is simply unknown.
  const heard = await request.post('/api/partner-webhooks/chase', { headers: signed(secret, body), data: body });
  expect(heard.status()).toBe(404);

  // A card-link service call is audited with its outcome too, even a refused one.
  const customerId = `cus_e2e_audit_${randomUUID().slice(0, 8)}`;
  expect((await request.post('/api/card-links', { data: { customerId }, headers: { authorization: 'Bearer not-the-token' } })).status()).toBe(401);

  await logIn(page, 'admin');
  await page.goto(`/audit?action=card_link_api.call&target=${customerId}`);
  await expect(page.getByRole('row').filter({ hasText: 'card_link_api.call' })).toHaveCount(1);
  await page.goto(`/audit?action=partner_webhook.received&target=${encodeURIComponent(reference)}`);
  const rows = page.getByRole('row').filter({ hasText: 'partner_webhook.received' });
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`chase:${reference}`);
  await page.goto('/audit?action=partner_webhook.received&actor=partner%3Anobody');
  await expect(page.getByRole('row').filter({ hasText: 'partner_webhook.received' }).first()).toBeVisible();
});

test('sign-in is rate-limited per username, with a clear message, and every attempt is audited', async ({ page }) => {
  const username = `e2e-nobody-${randomUUID().slice(0, 8)}`;
  await page.goto('/login');
  // One attempt at a time: each waits for its answer and for the form to reset, so none is lost or doubled.
  const attempt = async (password: string) => {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    const answered = page.waitForResponse((res) => res.request().method() === 'POST' && new URL(res.url()).pathname === '/login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await answered;
    await expect(page.getByLabel('Password')).toHaveValue('');
  };
  for (let i = 1; i <= 5; i += 1) {
    await attempt(`wrong-${i}`);
    await expect(page.getByRole('alert').filter({ hasText: 'Wrong username or password.' })).toBeVisible();
  }
  await attempt('wrong-6');
  await expect(page.getByRole('alert').filter({ hasText: /Too many failed sign-ins for this username; try again in 1[45] minutes\./ })).toBeVisible();

  await logIn(page, 'admin');
  await page.goto(`/audit?actor=${username}`);
  await expect(page.getByRole('row').filter({ hasText: 'auth.sign_in_failed' })).toHaveCount(5);
  await expect(page.getByRole('row').filter({ hasText: 'auth.sign_in_throttled' })).toHaveCount(1);
  await page.goto(`/audit?action=auth.sign_in&actor=${loginFor('admin').username}`);
  await expect(page.getByRole('row').filter({ hasText: 'auth.sign_in' }).first()).toBeVisible();
});

test('a role change, then disabling the user, reach a signed-in session within a minute', async ({ page, newUser }) => {
  // Sessions re-read their users row at most every 60 s (server/auth/session-claims.ts).
  test.setTimeout(200_000);
  const { username, password } = await newUser('support', 'Session Tester');
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('current-role')).toHaveText('support');

  await withDb((client) => client.query("UPDATE users SET role = 'engineer' WHERE username = $1", [username]));
  await expect
    .poll(
      async () => {
        await page.goto('/');
        return page.getByTestId('current-role').textContent();
      },
      { timeout: 80_000, intervals: [5_000] },
    )
    .toBe('engineer');

  // The session ends: the browser still holds the old cookie, so it is the page, not proxy.ts, that asks for a sign-in.
  await withDb((client) => client.query('UPDATE users SET disabled = true WHERE username = $1', [username]));
  await expect
    .poll(
      async () => {
        await page.goto('/inventory');
        // The sign-in form comes after the page has loaded (a client-side hand-over to /login): wait a moment for it.
        return page
          .getByRole('heading', { name: 'Sign in to DashOps' })
          .waitFor({ timeout: 4_000 })
          .then(
            () => true,
            () => false,
          );
      },
      { timeout: 80_000, intervals: [5_000] },
    )
    .toBe(true);
  await expect(page.getByTestId('current-role')).toHaveCount(0);
});
