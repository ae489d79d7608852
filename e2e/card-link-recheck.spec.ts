import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from './fixtures.ts';
import { CardLinkPage } from './pages/enrollments-page.ts';
import { withDb } from './support/db.ts';
import { linkCard } from './support/enrollments.ts';

/** A Chase card the partner sandbox declines by its last4. */
const DECLINED_CARD = { bin: '414721', last4: '0002', network: 'visa', country: 'US' } as const;
const json = (origin: string) => ({ origin, 'content-type': 'application/json' });

function cardLinkApiToken(): string {
  if (process.env.CARD_LINK_API_TOKEN) return process.env.CARD_LINK_API_TOKEN;
  return fs.readFileSync(path.join(import.meta.dirname, '..', '.data', 'card-link-api-token'), 'utf8').trim();
}

test('50 concurrent identical card-link requests over HTTP make one link and one decision', async ({ request, newCustomer }) => {
  const customerId = await newCustomer('Concurrent Submits');
  const data = {
    customerId,
    card: { fingerprint: `fp_e2e_${randomUUID().replace(/-/g, '')}`, bin: '414721', last4: '4242', network: 'visa', country: 'US', expMonth: 12, expYear: new Date().getUTCFullYear() + 3 },
  };
  const answers = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const response = await request.post('/api/card-links', { headers: { authorization: `Bearer ${cardLinkApiToken()}` }, data });
      return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
    }),
  );
  expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 50 }, () => 200));
  expect(new Set(answers.map((answer) => JSON.stringify(answer.body))).size).toBe(1);
  expect(answers[0]?.body).toMatchObject({ status: 'linked', partnerId: 'chase' });
  const counts = await withDb(async (client) => {
    const links = await client.query('SELECT 1 FROM membership_links WHERE customer_id = $1', [customerId]);
    const subscriptions = await client.query('SELECT 1 FROM dashpass_subscriptions WHERE customer_id = $1', [customerId]);
    return { links: links.rowCount, subscriptions: subscriptions.rowCount };
  });
  expect(counts).toEqual({ links: 1, subscriptions: 1 });
});

test('support re-checks a declined card with a reason: a new evaluation runs at once, audited; other roles are refused', async ({ asRole, newCustomer, request, baseURL }) => {
  test.setTimeout(120_000);
  const customerId = await newCustomer('Recheck Journey');
  const declined = await linkCard(request, customerId, DECLINED_CARD);
  expect(declined).toMatchObject({ status: 'not_eligible' });

  const page = await asRole('support', `/enrollments/${encodeURIComponent(declined.workflowId)}`);
  const detail = new CardLinkPage(page);
  const section = page.getByRole('region', { name: 'Re-check eligibility' });
  await expect(section).toBeVisible();
  await section.getByRole('button', { name: 'Re-check eligibility…' }).click();
  const { dialog, reason, button } = detail.reasonDialog("Re-check this card's eligibility");
  // No reason, no re-check.
  await button('Re-check eligibility').click();
  await expect(dialog).toBeVisible();
  await reason.fill('e2e: Chase reopened the account');
  await button('Re-check eligibility').click();
  await expect(section.getByRole('status')).toContainText('New evaluation: not eligible');

  const audit = await withDb(async (client) =>
    (
      await client.query<{ reason: string; details: { workflowId: string; status: string } }>(
        "SELECT reason, details FROM audit_log WHERE action = 'card_link.recheck_eligibility' AND target = $1",
        [`workflow:${declined.workflowId}`],
      )
    ).rows,
  );
  expect(audit).toMatchObject([{ reason: 'e2e: Chase reopened the account', details: { workflowId: `${declined.workflowId}.r1`, status: 'not_eligible' } }]);

  await section.getByRole('link', { name: 'Open the new evaluation →' }).click();
  await expect(page).toHaveURL(new RegExp(`${encodeURIComponent(`${declined.workflowId}.r1`).replace(/\./g, '\\.')}$`));
  // The new evaluation is the card's latest: it offers the re-check.
  const latestSection = page.getByRole('region', { name: 'Re-check eligibility' });
  await expect(latestSection.getByRole('button', { name: 'Re-check eligibility…' })).toBeVisible();

  // The older evaluation is no longer the card's latest: no button, a way to the latest one instead.
  await detail.open(declined.workflowId);
  const olderSection = page.getByRole('region', { name: 'Re-check eligibility' });
  await expect(olderSection.getByRole('link', { name: 'Open the latest evaluation →' })).toHaveAttribute('href', `/enrollments/${encodeURIComponent(`${declined.workflowId}.r1`)}`);
  await expect(olderSection.getByRole('button')).toHaveCount(0);
  // And the API refuses to re-check it again.
  const origin = new URL(baseURL ?? page.url()).origin;
  const again = await page.request.post(`/api/enrollments/${encodeURIComponent(declined.workflowId)}/recheck`, { headers: json(origin), data: { reason: 'twice' } });
  expect(again.status()).toBe(409);

  // A re-evaluation's page (its id ends in ".r1") is a page like any other: no session, a server redirect to sign in.
  const anonymous = await request.get(`/enrollments/${encodeURIComponent(`${declined.workflowId}.r1`)}`, { maxRedirects: 0 });
  expect(anonymous.status()).toBe(307);
  expect(new URL(anonymous.headers().location!, 'http://console').pathname).toBe('/login');
});

test('an engineer cannot re-check eligibility', async ({ asRole, newCustomer, request, baseURL }) => {
  const customerId = await newCustomer('Recheck Refused');
  const declined = await linkCard(request, customerId, DECLINED_CARD);
  const page = await asRole('engineer', '/');
  const origin = new URL(baseURL ?? page.url()).origin;
  const refused = await page.request.post(`/api/enrollments/${encodeURIComponent(declined.workflowId)}/recheck`, { headers: json(origin), data: { reason: 'not mine to do' } });
  expect(refused.status()).toBe(403);
});
