import { expect, test } from './fixtures.ts';
import { EnrollmentsPage, reasonDialog } from './pages/enrollments-page.ts';
import { withDb } from './support/db.ts';
import { linkCard, SHADOW_MISMATCH_CARD, waitForShadowComparison } from './support/enrollments.ts';
import { readPartnerVersions } from './support/partners.ts';

const json = (origin: string) => ({ origin, 'content-type': 'application/json' });

test('an admin sees what the shadow version would have linked differently, stops Chase v2 in shadow, starts it again and promotes it, each audited; support sees no panel and gets 403', async ({
  asRole,
  newCustomer,
  partnerVersions,
  baseURL,
  request,
}) => {
  test.setTimeout(150_000);
  // Put back afterwards: other journeys rely on the seeded configuration.
  await partnerVersions('chase', { live_version: '1', candidate_version: '2' });
  // Chase v1 links this business card; v2, in shadow, would have declined it and written no link.
  const customerId = await newCustomer('Shadow Kinds');
  const linked = await linkCard(request, customerId, SHADOW_MISMATCH_CARD);
  expect(linked).toMatchObject({ status: 'linked', partnerId: 'chase' });
  expect(await waitForShadowComparison(linked.workflowId)).toEqual({ matched: false });

  const page = await asRole('admin', '/enrollments');
  const enrollments = new EnrollmentsPage(page);
  const { shadow } = enrollments;
  const pair = enrollments.shadowPair('Chase');
  await expect(pair.getByRole('list', { name: 'Mismatches by kind' })).toContainText('eligibility');
  await pair.getByRole('button', { name: /Recent mismatches/ }).click();
  const mismatch = shadow.getByRole('table', { name: /Recent mismatches of Chase v1 against v2/ }).getByRole('row').filter({ hasText: customerId });
  await expect(mismatch).toContainText('chase active');
  await expect(mismatch).toContainText('not eligible: business_card_not_in_offer');
  await expect(mismatch).toContainText('no link');
  await expect(mismatch.getByRole('cell').nth(4)).toHaveText('eligibility');

  const panel = page.getByRole('region', { name: 'Partner versions' });
  const chase = panel.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Chase' }) });
  const inShadow = chase.getByRole('cell').nth(1);
  await expect(inShadow).toHaveText('v2');

  const confirm = async (title: string, button: string, reason: string) => {
    const dialog = reasonDialog(page, title);
    await dialog.reason.fill(reason);
    await dialog.button(button).click();
    await expect(dialog.dialog).toBeHidden();
  };

  await chase.getByRole('button', { name: 'Stop shadow of Chase' }).click();
  await confirm('Stop shadow mode for Chase', 'Stop shadow', 'e2e: pause the v2 trial');
  await expect(inShadow).toHaveText('none');

  await chase.getByLabel('Version of Chase to shadow').selectOption('2');
  await chase.getByRole('button', { name: 'Shadow Chase' }).click();
  await confirm('Run Chase v2 in shadow mode', 'Start shadow', 'e2e: resume the v2 trial');
  await expect(inShadow).toHaveText('v2');

  await chase.getByRole('button', { name: 'Promote v2 of Chase' }).click();
  await confirm('Promote Chase v2 to live', 'Promote', 'e2e: v2 matched for a week');
  await expect(chase.getByRole('cell').nth(0)).toHaveText('v2');
  await expect(inShadow).toHaveText('none');
  expect(await readPartnerVersions('chase')).toEqual({ live_version: '2', candidate_version: null });

  const audit = await withDb(async (client) =>
    (await client.query<{ action: string; reason: string }>("SELECT action, reason FROM audit_log WHERE target = 'partner:chase' AND reason LIKE 'e2e: %' ORDER BY id DESC LIMIT 3")).rows,
  );
  expect(audit).toEqual([
    { action: 'card_link.partner_promote', reason: 'e2e: v2 matched for a week' },
    { action: 'card_link.partner_shadow', reason: 'e2e: resume the v2 trial' },
    { action: 'card_link.partner_shadow', reason: 'e2e: pause the v2 trial' },
  ]);

  const support = await asRole('support', '/enrollments');
  await expect(support.getByRole('region', { name: 'Shadow-mode mismatch rates' })).toBeVisible();
  await expect(support.getByRole('region', { name: 'Partner versions' })).toHaveCount(0);
  const origin = new URL(baseURL ?? support.url()).origin;
  const refused = await support.request.post('/api/partners/chase/versions', { headers: json(origin), data: { action: 'stop_shadow', reason: 'not mine to do' } });
  expect(refused.status()).toBe(403);
});
