import { randomUUID } from 'node:crypto';
import { expect, loginFor, test } from './fixtures.ts';
import { EnrollmentsPage } from './pages/enrollments-page.ts';
import { withDb } from './support/db.ts';
import { ELIGIBLE_CARD, linkCard } from './support/enrollments.ts';
import { workflowResult } from './support/temporal.ts';

test('support finds a linked card, unlinks it with a reason, sees link and subscription end in the timeline, the partner told and the audit entry', async ({ asRole, newCustomer, request }) => {
  // Two areas and a second user; the dev server may compile each page on first visit.
  test.setTimeout(180_000);
  const customerId = await newCustomer('Unlink Journey');
  const linked = await linkCard(request, customerId, ELIGIBLE_CARD);
  expect(linked).toMatchObject({ status: 'linked', partnerId: 'chase' });
  const reason = `e2e: customer asked to remove the card, ticket SUP-${randomUUID().slice(0, 8)}`;

  const page = await asRole('support', '/enrollments');
  const enrollments = new EnrollmentsPage(page);
  await enrollments.searchCustomer(customerId);
  const row = enrollments.cardRow(customerId, 'Visa •••• 4242');
  await expect(row).toContainText('Linked');
  const detail = await enrollments.openTimeline(row, 'Visa •••• 4242, Chase: timeline');
  await expect(detail.heading).toContainText('Visa •••• 4242 · Chase');

  const panel = page.getByRole('region', { name: 'Link and benefit' });
  const linkState = panel.getByRole('definition').first();
  const subscriptionState = panel.getByRole('definition').nth(1);
  await expect(linkState).toHaveText('Active');
  await expect(subscriptionState).not.toHaveText('Ended');

  await panel.getByRole('button', { name: 'Unlink card…' }).click();
  const { dialog, reason: reasonField, button } = detail.reasonDialog('Unlink this card');
  await expect(dialog).toContainText('Visa •••• 4242 with Chase');
  // No reason, no unlink.
  await button('Unlink card').click();
  await expect(dialog.getByText('A reason is required')).toBeVisible();
  await expect(linkState).toHaveText('Active');
  await reasonField.fill(reason);
  await button('Unlink card').click();
  await expect(dialog).toBeHidden();

  // The panel and the timeline show the unlink: link and subscription ended, the partner told, by whom and why.
  await expect(linkState).toContainText('Ended');
  await expect(subscriptionState).toHaveText('Ended');
  await expect(panel.getByRole('button', { name: 'Unlink card…' })).toHaveCount(0);
  const support = loginFor('support').username;
  const unlinked = detail.step('Unlinked: done');
  await expect(unlinked).toContainText(`By ${support} (support). Reason: “${reason}”. The link and the subscription ended; Chase is told.`);

  const stored = await withDb(async (client) => ({
    links: (await client.query<{ link_id: string; status: string }>('SELECT link_id, status FROM membership_links WHERE customer_id = $1', [customerId])).rows,
    subscriptions: (await client.query<{ status: string }>('SELECT status FROM dashpass_subscriptions WHERE customer_id = $1', [customerId])).rows,
  }));
  expect(stored.links).toMatchObject([{ status: 'ended' }]);
  expect(stored.subscriptions).toEqual([{ status: 'ended' }]);
  // The unlink workflow finishes only once the partner acknowledged it.
  const progress = await workflowResult<{ partnerAcknowledged: string }>(`card-unlink:${stored.links[0]!.link_id}`);
  expect(progress.partnerAcknowledged).toBe('unlinked');

  // The audit log shows who unlinked which card link, and why.
  const adminPage = await asRole('admin', `/audit?action=card_link.unlink&reason=${encodeURIComponent(reason)}`);
  const rows = adminPage.getByRole('table', { name: 'Audit entries' }).getByRole('row');
  await expect(rows).toHaveCount(2); // the header and the one entry
  const entry = rows.nth(1);
  await expect(entry.getByRole('cell').nth(1)).toHaveText(new RegExp(`${support}\\s+support`, 'i'));
  await expect(entry.getByRole('cell').nth(2)).toHaveText('card_link.unlink');
  await expect(entry.getByRole('cell').nth(3)).toHaveText(`workflow:${linked.workflowId}`);
  await expect(entry.getByRole('cell').nth(4)).toHaveText(reason);
});

test('an engineer cannot unlink a card', async ({ asRole, newCustomer, request, baseURL }) => {
  const customerId = await newCustomer('Unlink Refused');
  const linked = await linkCard(request, customerId, ELIGIBLE_CARD);
  const page = await asRole('engineer', '/');
  const origin = new URL(baseURL ?? page.url()).origin;
  const refused = await page.request.post(`/api/enrollments/${encodeURIComponent(linked.workflowId)}/unlink`, {
    headers: { origin, 'content-type': 'application/json' },
    data: { reason: 'not mine to do' },
  });
  expect(refused.status()).toBe(403);
  const status = await withDb(async (client) => (await client.query<{ status: string }>('SELECT status FROM membership_links WHERE customer_id = $1', [customerId])).rows);
  expect(status).toEqual([{ status: 'active' }]);
});
