import { expect, logIn, screenshot, test } from './fixtures.ts';
import { latestAdjustAudit, onHand } from './support/inventory.ts';

// A demo-seed row (server/db/seed.ts) that no other spec touches.
const STORE = 'TO-201';
const SKU = 'PNT-COFFEE-12OZ';

test('an associate finds an item, is stopped by an invalid adjustment, adjusts stock and watches it flow downstream', async ({ page }) => {
  test.setTimeout(120_000);
  await logIn(page, 'associate', '/inventory');
  await expect(page.getByRole('heading', { name: 'Inventory' })).toBeVisible();

  // Search by store and SKU: the single match opens in the side panel.
  const search = page.getByRole('search', { name: 'Search inventory' });
  await search.getByLabel('Store').selectOption(STORE);
  await search.getByLabel('SKU starts with').fill(SKU.toLowerCase());
  await search.getByRole('button', { name: 'Search' }).click();
  const results = page.getByRole('table');
  await expect(results.getByRole('row')).toHaveCount(2);
  await expect(results.getByRole('button', { name: `Select ${STORE} ${SKU}` })).toBeVisible();
  await expect(results.getByText(/Available|Sold out/)).toBeVisible();

  const panel = page.getByRole('complementary', { name: 'Selected item' });
  await expect(panel.getByRole('heading', { name: `${SKU} at ${STORE}` })).toBeVisible();
  const before = await onHand(STORE, SKU);
  expect(before).not.toBeNull();
  await expect(panel.getByTestId('on-hand')).toHaveText(String(before));

  const form = panel.getByRole('region', { name: 'Adjust stock' });
  const quantity = form.getByLabel('Quantity change');
  const reason = form.getByLabel('Reason');
  const apply = form.getByRole('button', { name: 'Apply adjustment' });

  // Checked in the form: no reason, and a quantity of zero.
  await quantity.fill('0');
  await apply.click();
  await expect(form.getByText('The quantity must not be zero.')).toBeVisible();
  await expect(form.getByText('Choose a reason; it goes into the audit log.')).toBeVisible();
  await expect(quantity).toHaveAttribute('aria-invalid', 'true');

  // Checked on the server: removing more than is on hand is refused, and the message sits by the quantity.
  await quantity.fill('-99999');
  await reason.selectOption('damage');
  await apply.click();
  await expect(form.getByText(`Cannot remove 99999 of ${SKU} at ${STORE}: only ${before} on hand.`)).toBeVisible();
  await expect(quantity).toHaveAttribute('aria-invalid', 'true');
  expect(await onHand(STORE, SKU)).toBe(before);

  // A valid adjustment with a reason.
  await quantity.fill('7');
  await reason.selectOption('cycle_count');
  await form.getByLabel('Note').fill('e2e: shelf recount');
  await apply.click();
  const after = (before ?? 0) + 7;
  await expect(form.getByText(`Saved: on hand is now ${after}.`)).toBeVisible();
  await expect(panel.getByTestId('on-hand')).toHaveText(String(after));
  expect(await latestAdjustAudit(STORE, SKU)).toMatchObject({ actor: 'associate', actor_role: 'associate', reason: 'e2e: shelf recount', details: { delta: 7, reason: 'cycle_count' } });

  // Downstream, step by step: the row change, its Kafka offset, each sub-processor, the workflow.
  const downstream = panel.getByTestId('downstream');
  await expect(downstream.getByText('Row change committed')).toBeVisible();
  await expect(downstream.getByText(`On hand now ${after}`)).toBeVisible();
  await expect(downstream.getByText(/topic inventory_levels · partition \d+ · offset \d+/)).toBeVisible({ timeout: 30_000 });
  await expect(downstream.getByTestId('sub-processor-availability-sync')).toContainText(/Applied|Ignored/);
  await expect(downstream.getByTestId('sub-processor-low-stock-replenishment')).toContainText('Applied');
  // Applied means its stream workflow applied it (stream_applied), not merely that the workflow accepted it.
  await expect(downstream.getByTestId('sub-processor-low-stock-replenishment')).toContainText(/applied at \d{2}:\d{2}:\d{2}\.\d{3}/);
  const workflow = downstream.getByRole('link', { name: new RegExp(`stream:low-stock-replenishment:${STORE}`) });
  // The run that applied it (by run ID), not whichever run is latest after continue-as-new.
  await expect(workflow).toHaveAttribute('href', new RegExp(`/namespaces/default/workflows/stream%3Alow-stock-replenishment%3A${STORE}/[0-9a-f-]{36}$`));
  await expect(downstream.getByText('All steps done')).toBeVisible();

  // The same change is listed among the latest changes and can be inspected again.
  await expect(panel.getByRole('list').filter({ hasText: 'e2e: shelf recount' }).first()).toBeVisible();
  await screenshot(page, 'inventory');

  // Bad input to the inventory API is a clear 4xx, never a 500.
  const badCursor = await page.request.get('/api/inventory/levels?cursor=nope');
  expect(badCursor.status()).toBe(422);
  expect((await badCursor.json()) as { error: string }).toMatchObject({ error: expect.stringContaining('page cursor is not valid') });
  expect((await page.request.get('/api/inventory/adjustments/abc/downstream')).status()).toBe(422);
  expect((await page.request.get('/api/inventory/adjustments/999999999999/downstream')).status()).toBe(404);
  expect((await page.request.get('/api/inventory/lots?store=TO-201')).status()).toBe(422);

  // Associates cannot open the engineers' dead-letter page.
  await page.goto('/dead-letters');
  await expect(page.getByText('403 · Not allowed')).toBeVisible();
});
