import { expect, logIn, screenshot, test } from './fixtures.ts';
import { insertCustomer, linkCard, SHADOW_MISMATCH_CARD, UNANSWERED_MULTI_MATCH_CARD, waitForShadowComparison } from './support/enrollments.ts';

test('support searches a customer in multi-match, follows the timeline, resolves the multi-match by hand and sees it settle', async ({ page, request, baseURL }) => {
  // One long journey through two pages; the dev server may compile each on first visit.
  test.setTimeout(180_000);
  // The test's own customer: a Chase multi-match the partner never answers, then a card Chase's v2 (in shadow) disagrees on.
  const customerId = await insertCustomer('Support Journey');
  const multiMatch = await linkCard(request, customerId, UNANSWERED_MULTI_MATCH_CARD);
  expect(multiMatch).toMatchObject({ status: 'pending_reconciliation', partnerId: 'chase' });
  const shadowed = await linkCard(request, customerId, SHADOW_MISMATCH_CARD);
  expect(shadowed).toMatchObject({ status: 'not_eligible', reason: 'customer_already_subscribed' });
  expect(await waitForShadowComparison(shadowed.workflowId)).toEqual({ matched: false });

  await logIn(page, 'support', '/enrollments');
  await expect(page.getByRole('heading', { name: 'Enrollments', level: 1 })).toBeVisible();
  await expect(page.getByText('Search for a customer to see their card links')).toBeVisible();

  // A malformed ID is refused with a message that says what a customer ID looks like.
  const customerField = page.getByLabel('Customer ID');
  await customerField.fill('priya raman');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'A customer ID has no spaces' })).toBeVisible();
  await expect(customerField).toHaveAttribute('aria-invalid', 'true');

  await customerField.fill(customerId);
  await customerField.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/enrollments\\?customerId=${customerId}$`));
  const results = page.getByRole('table', { name: `Card links of ${customerId}` });
  const multiMatchRow = results.getByRole('row').filter({ hasText: 'Mastercard •••• 0005' });
  await expect(multiMatchRow).toContainText('Chase');
  await expect(multiMatchRow).toContainText('Multi-match pending');
  await expect(multiMatchRow).toContainText('Reconcile multi-match');
  await expect(results.getByRole('row').filter({ hasText: 'Visa •••• 1881' })).toContainText('Not eligible');

  // Shadow mode: Chase v1 live against v2, with this test's mismatch among the recent ones.
  const shadow = page.getByRole('region', { name: 'Shadow-mode mismatch rates' });
  const chaseRow = shadow.getByRole('row').filter({ hasText: 'Chase' }).filter({ hasText: 'in shadow now' });
  await expect(chaseRow).toContainText('v1');
  await expect(chaseRow).toContainText('v2');
  await expect(chaseRow.getByText(/⚠\s*\d+(\.\d+)? %/)).toBeVisible();
  await chaseRow.getByRole('button', { name: /Recent mismatches/ }).click();
  const mismatches = shadow.getByRole('table', { name: /Recent mismatches of Chase v1 against v2/ });
  await expect(mismatches.getByRole('row').filter({ hasText: customerId })).toContainText('not eligible: business_card_not_in_offer');
  await screenshot(page, 'enrollments');

  // The detail page: timeline of the steps with the partner's answers, live while the workflow waits.
  await multiMatchRow.getByRole('link', { name: 'Mastercard •••• 0005, Chase: timeline' }).click();
  await expect(page).toHaveURL(/\/enrollments\/card-link/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Mastercard •••• 0005 · Chase');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Multi-match pending');
  await expect(page.getByText('Live: refreshes every 2 s')).toBeVisible();
  const temporalLink = page.getByRole('link', { name: /Open in Temporal UI/ });
  await expect(temporalLink).toHaveAttribute('href', new RegExp(`/namespaces/[^/]+/workflows/${encodeURIComponent(multiMatch.workflowId)}/[0-9a-f-]{36}$`));
  await expect(page.getByRole('link', { name: /Reconciliation workflow \(latest run\)/ })).toHaveAttribute(
    'href',
    new RegExp(`/namespaces/[^/]+/workflows/${encodeURIComponent(`${multiMatch.workflowId}:reconciliation`)}$`),
  );
  const timeline = page.getByRole('list', { name: 'Card-link timeline' });
  await expect(timeline.getByRole('listitem', { name: 'Validate card: Done' })).toBeVisible();
  const eligibility = timeline.getByRole('listitem', { name: 'Check eligibility with the partner: Done' });
  await expect(eligibility).toContainText('multi_match');
  await expect(eligibility.getByRole('definition').filter({ hasText: /^mm-chase-/ })).toBeVisible();
  await expect(timeline.getByRole('listitem', { name: 'Reconcile multi-match: In progress' })).toContainText("Waiting for Chase's answer");
  await expect(timeline.getByRole('listitem', { name: 'Complete: Not reached yet' })).toBeVisible();
  await screenshot(page, 'enrollment-detail');

  // The guarded action: a reason and the partner's answer are both required.
  await page.getByRole('button', { name: 'Resolve multi-match by hand…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Resolve this multi-match by hand' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Resolve multi-match' }).click();
  await expect(dialog.getByText('A reason is required')).toBeVisible();
  await dialog.getByLabel('Reason (goes into the audit log)').fill('Chase confirmed the account by phone, ticket SUP-4821');
  await dialog.getByRole('button', { name: 'Resolve multi-match' }).click();
  await expect(dialog.getByRole('alert')).toContainText('Choose whether the partner matched');
  await dialog.getByRole('radio', { name: /^Matched/ }).check();
  await dialog.getByRole('button', { name: 'Resolve multi-match' }).click();
  await expect(dialog).toBeHidden();

  // The workflow takes the answer: the timeline shows who resolved it and why, and the link is active.
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Linked');
  const reconcile = timeline.getByRole('listitem', { name: 'Reconcile multi-match: Done' });
  await expect(reconcile).toContainText('matched (support)');
  await expect(reconcile.getByRole('list', { name: 'Resolved by hand' })).toContainText('Resolved by hand: matched by support (support)');
  await expect(reconcile).toContainText('Chase confirmed the account by phone, ticket SUP-4821');
  await expect(timeline.getByRole('listitem', { name: 'Complete: Done' })).toContainText('linked');
  await expect(page.getByText('Workflow closed: not refreshing')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Resolve multi-match by hand…' })).toHaveCount(0);

  // The server enforces the state too: a second resolution is refused, not audited twice.
  const again = await page.request.post(`/api/enrollments/${encodeURIComponent(multiMatch.workflowId)}/resolve`, {
    data: { matched: false, reason: 'second try' },
    headers: { origin: new URL(baseURL!).origin },
  });
  expect(again.status()).toBe(409);

  await page.getByRole('link', { name: `← Card links of ${customerId}` }).click();
  await expect(page.getByRole('table', { name: `Card links of ${customerId}` }).getByRole('row').filter({ hasText: 'Mastercard •••• 0005' })).toContainText('Linked');
});
