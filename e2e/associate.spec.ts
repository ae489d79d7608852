import { expect, screenshot, test } from './fixtures.ts';
import { InventoryPage } from './pages/inventory-page.ts';
import { latestAdjustAudit, onHand } from './support/inventory.ts';

test('an associate finds an item, is stopped by an invalid adjustment, adjusts stock and watches it flow downstream', async ({ asRole, stockItem }) => {
  test.setTimeout(120_000);
  // The test's own store × SKU (removed afterwards), so every run starts from the same stock.
  const { storeId: STORE, sku: SKU } = stockItem;
  const page = await asRole('associate', '/inventory');
  await expect(page.getByRole('heading', { name: 'Inventory' })).toBeVisible();

  // Search by store and SKU: the single match opens in the side panel.
  const inventory = new InventoryPage(page);
  await inventory.find(STORE, SKU.toLowerCase());
  const results = inventory.results;
  await expect(results.getByRole('row')).toHaveCount(2);
  await expect(inventory.selectButton(STORE, SKU)).toBeVisible();
  await expect(results.getByText(/Available|Sold out/)).toBeVisible();

  const panel = inventory.item;
  await expect(inventory.itemHeading(STORE, SKU)).toBeVisible();
  const before = await onHand(STORE, SKU);
  expect(before).not.toBeNull();
  await expect(panel.getByTestId('on-hand')).toHaveText(String(before));

  const { form, quantity } = inventory.adjustForm;

  // Checked in the form: no reason, and a quantity of zero.
  await inventory.adjustForm.submit({ quantity: '0' });
  await expect(form.getByText('The quantity must not be zero.')).toBeVisible();
  await expect(form.getByText('Choose a reason; it goes into the audit log.')).toBeVisible();
  await expect(quantity).toHaveAttribute('aria-invalid', 'true');

  // Checked on the server: removing more than is on hand is refused, and the message sits by the quantity.
  await inventory.adjustForm.submit({ quantity: '-99999', reason: 'damage' });
  await expect(form.getByText(`Cannot remove 99999 of ${SKU} at ${STORE}: only ${before} on hand.`)).toBeVisible();
  await expect(quantity).toHaveAttribute('aria-invalid', 'true');
  expect(await onHand(STORE, SKU)).toBe(before);

  // A valid adjustment with a reason.
  await inventory.adjustForm.submit({ quantity: '7', reason: 'cycle_count', note: 'e2e: shelf recount' });
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
  // …after it was queued in that shard's workflow, with the commit → applied latency.
  await expect(downstream.getByTestId('sub-processor-low-stock-replenishment')).toContainText(
    new RegExp(`queued in workflow stream:low-stock-replenishment:${STORE}.* at \\d{2}:\\d{2}:\\d{2}\\.\\d{3} · applied at \\d{2}:\\d{2}:\\d{2}\\.\\d{3} \\(\\d[\\d.]* (ms|s|min)[^)]* after commit\\)`),
  );
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
  expect((await page.request.get(`/api/inventory/lots?store=${STORE}`)).status()).toBe(422);

  // Associates cannot open the engineers' dead-letter page.
  await page.goto('/dead-letters');
  await expect(page.getByText('403 · Not allowed')).toBeVisible();
});
