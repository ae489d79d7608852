import { expect, screenshot, test } from './fixtures.ts';
import { EnrollmentsPage } from './pages/enrollments-page.ts';
import { linkCard, SHADOW_MISMATCH_CARD, UNANSWERED_MULTI_MATCH_CARD, waitForShadowComparison } from './support/enrollments.ts';

test('support searches a customer in multi-match, follows the timeline, resolves the multi-match by hand and sees it settle', async ({ asRole, newCustomer, request, baseURL }) => {
  // One long journey through two pages; the dev server may compile each on first visit.
  test.setTimeout(180_000);
  // The test's own customer: a Chase multi-match the partner never answers, then a card Chase's v2 (in shadow) disagrees on.
  const customerId = await newCustomer('Support Journey');
  const multiMatch = await linkCard(request, customerId, UNANSWERED_MULTI_MATCH_CARD);
  expect(multiMatch).toMatchObject({ status: 'pending_reconciliation', partnerId: 'chase' });
  const shadowed = await linkCard(request, customerId, SHADOW_MISMATCH_CARD);
  expect(shadowed).toMatchObject({ status: 'not_eligible', reason: 'customer_already_subscribed' });
  expect(await waitForShadowComparison(shadowed.workflowId)).toEqual({ matched: false });

  const page = await asRole('support', '/enrollments');
  const enrollments = new EnrollmentsPage(page);
  await expect(page.getByRole('heading', { name: 'Enrollments', level: 1 })).toBeVisible();
  await expect(page.getByText('Search for a customer to see their card links')).toBeVisible();

  // A malformed ID is refused with a message that says what a customer ID looks like.
  const { customerField } = enrollments;
  await customerField.fill('priya raman');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'A customer ID has no spaces' })).toBeVisible();
  await expect(customerField).toHaveAttribute('aria-invalid', 'true');

  await enrollments.searchCustomer(customerId);
  await expect(page).toHaveURL(new RegExp(`/enrollments\\?customerId=${customerId}$`));
  const results = enrollments.cardLinks(customerId);
  const multiMatchRow = enrollments.cardRow(customerId, 'Mastercard •••• 0005');
  await expect(multiMatchRow).toContainText('Chase');
  await expect(multiMatchRow).toContainText('Multi-match pending');
  await expect(multiMatchRow).toContainText('Reconcile multi-match');
  await expect(results.getByRole('row').filter({ hasText: 'Visa •••• 1881' })).toContainText('Not eligible');

  // Shadow mode: Chase v1 live against v2, with this test's mismatch among the recent ones.
  const { shadow } = enrollments;
  const chaseRow = enrollments.shadowPair('Chase');
  await expect(chaseRow).toContainText('v1');
  await expect(chaseRow).toContainText('v2');
  await expect(chaseRow.getByText(/⚠\s*\d+(\.\d+)? %/)).toBeVisible();
  await chaseRow.getByRole('button', { name: /Recent mismatches/ }).click();
  const mismatches = shadow.getByRole('table', { name: /Recent mismatches of Chase v1 against v2/ });
  await expect(mismatches.getByRole('row').filter({ hasText: customerId })).toContainText('not eligible: business_card_not_in_offer');
  await screenshot(page, 'enrollments');

  // The detail page: timeline of the steps with the partner's answers, live while the workflow waits.
  const detail = await enrollments.openTimeline(multiMatchRow, 'Mastercard •••• 0005, Chase: timeline');
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
  const { timeline } = detail;
  await expect(timeline.getByRole('listitem', { name: 'Validate card: Done' })).toBeVisible();
  const eligibility = timeline.getByRole('listitem', { name: 'Check eligibility with the partner: Done' });
  await expect(eligibility).toContainText('multi_match');
  await expect(eligibility.getByRole('definition').filter({ hasText: /^mm-chase-/ })).toBeVisible();
  await expect(timeline.getByRole('listitem', { name: 'Reconcile multi-match: In progress' })).toContainText("Waiting for Chase's answer");
  await expect(timeline.getByRole('listitem', { name: 'Complete: Not reached yet' })).toBeVisible();
  await screenshot(page, 'enrollment-detail');

  // The guarded action: a reason and the partner's answer are both required.
  await page.getByRole('button', { name: 'Resolve multi-match by hand…' }).click();
  const { dialog, reason } = detail.reasonDialog('Resolve this multi-match by hand');
  const resolve = dialog.getByRole('button', { name: 'Resolve multi-match' });
  await expect(dialog).toBeVisible();
  await resolve.click();
  await expect(dialog.getByText('A reason is required')).toBeVisible();
  await reason.fill('Chase confirmed the account by phone, ticket SUP-4821');
  await resolve.click();
  await expect(dialog.getByRole('alert')).toContainText('Choose whether the partner matched');
  await dialog.getByRole('radio', { name: /^Matched/ }).check();
  await resolve.click();
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
  await expect(enrollments.cardRow(customerId, 'Mastercard •••• 0005')).toContainText('Linked');
});
