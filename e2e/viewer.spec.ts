import { expect, test } from './fixtures.ts';
import { DeadLettersPage } from './pages/dead-letters-page.ts';
import { InventoryPage } from './pages/inventory-page.ts';
import { auditActions, deadLetterStates } from './support/dead-letters.ts';

test('a viewer sees every area and no action that changes anything; a direct POST is refused with 403', async ({ asRole, baseURL, pendingDeadLetter: id }) => {
  const page = await asRole('viewer', '/');
  const nav = page.getByRole('navigation', { name: 'Console areas' });
  for (const area of ['Inventory', 'Enrollments', 'Dead letters', 'Pipeline health', 'Audit log']) await expect(nav.getByRole('link', { name: area })).toBeVisible();

  const deadLetters = new DeadLettersPage(page);
  await deadLetters.open();
  await expect(page.getByRole('heading', { name: 'Dead letters', level: 1 })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Bulk operations' })).toBeVisible();
  await expect(page.getByRole('button', { name: /^Replay/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Discard/ })).toHaveCount(0);
  await deadLetters.open(`id=${id}`);
  const entry = deadLetters.panel(id);
  await expect(entry.panel.getByText('e2e: access check').first()).toBeVisible();
  await expect(entry.replayButton).toHaveCount(0);
  await expect(entry.discardButton).toHaveCount(0);

  await page.goto('/pipeline');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Re-drive rows' })).toHaveCount(0);

  const inventory = new InventoryPage(page);
  await inventory.open();
  await inventory.find('NY-102', 'prd-avocado');
  await inventory.selectButton('NY-102', 'PRD-AVOCADO-EA').click();
  const { item } = inventory;
  await expect(inventory.itemHeading('NY-102', 'PRD-AVOCADO-EA')).toBeVisible();
  await expect(inventory.adjustForm.form).toHaveCount(0);
  await expect(item.getByRole('button', { name: /^Write off lot/ })).toHaveCount(0);

  await page.goto('/enrollments');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.goto('/audit');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();

  const headers = { origin: new URL(baseURL ?? page.url()).origin, 'content-type': 'application/json' };
  const posts: [string, unknown][] = [
    [`/api/dead-letters/${id}/replay`, {}],
    [`/api/dead-letters/${id}/discard`, { reason: 'viewer should not' }],
    ['/api/dead-letters/bulk-ops', { kind: 'discard', selection: { ids: [id] }, reason: 'viewer should not', confirmedCount: 1 }],
    ['/api/inventory/adjustments', { storeId: 'NY-102', sku: 'PRD-AVOCADO-EA', delta: 1, reason: 'correction' }],
    ['/api/inventory/redrive', { storeId: 'NY-102', skuPrefix: 'PRD-', reason: 'viewer should not' }],
  ];
  for (const [url, data] of posts) {
    const response = await page.request.post(url, { headers, data });
    expect(response.status(), url).toBe(403);
    expect(((await response.json()) as { error: string }).error, url).toMatch(/^Your role \(viewer\) may read .* but not change anything\.$/);
  }
  expect((await page.request.get('/api/dead-letters/bulk-ops')).status()).toBe(200);
  expect(await deadLetterStates([id])).toEqual({ [id]: { status: 'pending', resolved_by: null } });
  expect(await auditActions(`dead_letter:${id}`)).toEqual([]);
});
