import { expect, logIn, test } from './fixtures.ts';
import { auditActions, deadLetterStates } from './support/dead-letters.ts';

const json = (origin: string) => ({ origin, 'content-type': 'application/json' });

test('an associate gets 403 from the dead-letter replay route and page, and the entry is left alone', async ({ page, baseURL, pendingDeadLetter: id }) => {
  await logIn(page, 'associate');
  const headers = json(new URL(baseURL ?? page.url()).origin);

  const replay = await page.request.post(`/api/dead-letters/${id}/replay`, { headers, data: {} });
  expect(replay.status()).toBe(403);
  expect(((await replay.json()) as { error: string }).error).toBe('Your role (associate) may not use dead-letters.');
  expect((await page.request.post(`/api/dead-letters/${id}/discard`, { headers, data: { reason: 'not mine to discard' } })).status()).toBe(403);
  const bulk = { kind: 'replay', selection: { ids: [id] }, reason: 'not mine to replay', confirmedCount: 1 };
  expect((await page.request.post('/api/dead-letters/bulk-ops', { headers, data: bulk })).status()).toBe(403);
  expect((await page.request.get('/api/dead-letters/bulk-ops')).status()).toBe(403);
  expect((await page.request.get('/api/dead-letters')).status()).toBe(403);
  expect((await page.request.get(`/api/dead-letters/${id}`)).status()).toBe(403);

  // The page streams (it has a loading skeleton), so the refusal arrives as the 403 page's content rather
  // than the status line; nothing of the area renders, and its data routes above are 403 either way.
  await page.goto('/dead-letters');
  await expect(page.getByRole('heading', { name: 'Your role cannot open this page' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Dead letters' })).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Console areas' }).getByRole('link', { name: 'Dead letters' })).toHaveCount(0);

  expect(await deadLetterStates([id])).toEqual({ [id]: { status: 'pending', resolved_by: null } });
  expect(await auditActions(`dead_letter:${id}`)).toEqual([]);
});

test('without a session the dead-letter API answers 401, and the page sends the visitor to sign in', async ({ page, playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL });
  try {
    const headers = json(new URL(baseURL ?? 'http://localhost:3000').origin);
    const replay = await anonymous.post('/api/dead-letters/1/replay', { headers, data: {} });
    expect(replay.status()).toBe(401);
    expect(((await replay.json()) as { error: string }).error).toBe('Sign in to use the console API.');
    expect((await anonymous.get('/api/dead-letters')).status()).toBe(401);
  } finally {
    await anonymous.dispose();
  }
  await page.goto('/dead-letters');
  await expect(page).toHaveURL(/\/login\?callbackUrl=%2Fdead-letters/);
});

test('an engineer may replay, but not from another site: a mutation without the console origin is refused', async ({ page, pendingDeadLetter: id }) => {
  await logIn(page, 'engineer');
  const crossSite = await page.request.post(`/api/dead-letters/${id}/replay`, {
    headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
    data: {},
  });
  expect(crossSite.status()).toBe(403);
  expect(((await crossSite.json()) as { error: string }).error).toContain('Cross-site request refused');
  const notJson = await page.request.post(`/api/dead-letters/${id}/discard`, {
    headers: { origin: new URL(page.url()).origin, 'content-type': 'text/plain' },
    data: 'reason=because',
  });
  expect(notJson.status()).toBe(403);
  expect(await deadLetterStates([id])).toEqual({ [id]: { status: 'pending', resolved_by: null } });
});

test('the card-link service API refuses calls without its bearer token, even from a signed-in admin', async ({ page, baseURL }) => {
  const body = { customerId: 'cus_maya_chen', card: { fingerprint: 'fp_no_token', bin: '414721', last4: '4242', country: 'US', network: 'visa', expMonth: 12, expYear: 2030 } };
  const anonymous = await page.request.post('/api/card-links', { data: body });
  expect(anonymous.status()).toBe(401);
  expect(((await anonymous.json()) as { error: string }).error).toContain('Authorization: Bearer');

  await logIn(page, 'admin');
  const withSession = await page.request.post('/api/card-links', {
    headers: { origin: new URL(baseURL ?? page.url()).origin, authorization: 'Bearer not-the-service-token' },
    data: body,
  });
  expect(withSession.status()).toBe(401);
  expect(((await withSession.json()) as { error: string }).error).toBe('The service token is not valid.');
});
