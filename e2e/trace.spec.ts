import { randomUUID } from 'node:crypto';
import { expect, screenshot, test } from './fixtures.ts';
import { DeadLettersPage } from './pages/dead-letters-page.ts';
import { RedrivePanel } from './pages/redrive-panel.ts';
import { withDb } from './support/db.ts';

test('an engineer traces a change by row and by offset, follows a dead letter to its trace and back, and opens the run that applied it by run ID', async ({ asRole, stockItem, faultDrill }) => {
  test.setTimeout(180_000);
  // A row of its own (removed afterwards), so nothing else changes it: its insert flows through the real relay, processor and workflows.
  const run = randomUUID().slice(0, 8);
  const { storeId, sku, rowKey } = stockItem;

  const page = await asRole('engineer', '/');
  await page.getByRole('navigation', { name: 'Console areas' }).getByRole('link', { name: 'Trace a change' }).click();
  await expect(page.getByRole('heading', { name: 'Trace a change', level: 1 })).toBeVisible();

  // By row: every sub-processor's verdict, and the stream workflow run that applied it, linked by run ID.
  const byRow = page.getByRole('search', { name: 'Trace by row' });
  await byRow.getByLabel('Table').selectOption('inventory_levels');
  await byRow.getByLabel('store_id').fill(storeId);
  await byRow.getByLabel('sku').fill(sku);
  await byRow.getByRole('button', { name: 'Trace row' }).click();
  await expect(page).toHaveURL(/\/trace\?table=inventory_levels&key=/);
  const trace = page.getByRole('region', { name: 'Trace' });
  await expect(trace.getByRole('status')).toHaveText(/All steps done/, { timeout: 60_000 });
  const timeline = trace.getByRole('list', { name: 'Timeline' });
  await expect(timeline).toContainText(/topic inventory_levels · partition \d+ · offset \d+/);
  const availability = trace.getByTestId('trace-sub-processor-availability-sync');
  await expect(availability).toContainText('done');
  const runLink = availability.getByRole('link', { name: new RegExp(`stream:availability-sync:${storeId} run`) });
  await expect(runLink).toHaveAttribute('href', new RegExp(`/workflows/stream%3Aavailability-sync%3A${storeId}/[0-9a-f-]{36}$`));
  const offsetText = (await timeline.getByText(/offset \d+/).first().textContent()) ?? '';
  const [, partition, offset] = /partition (\d+) · offset (\d+)/.exec(offsetText) ?? [];
  if (!partition || !offset) throw new Error(`no Kafka position in "${offsetText}"`);
  await screenshot(page, 'trace');

  // By offset: the same change.
  const byOffset = page.getByRole('search', { name: 'Trace by offset' });
  await byOffset.getByLabel('Topic').selectOption('inventory_levels');
  await byOffset.getByLabel('Partition').fill(partition);
  await byOffset.getByLabel('Offset').fill(offset);
  await byOffset.getByRole('button', { name: 'Trace message' }).click();
  await expect(page).toHaveURL(new RegExp(`/trace\\?topic=inventory_levels&partition=${partition}&offset=${offset}$`));
  await expect(trace.getByRole('heading', { level: 2 })).toContainText(rowKey);
  await expect(trace.getByRole('status')).toHaveText(/All steps done/);

  // The row's next change fails in availability-sync (a fault drill) and is dead-lettered.
  const errorText = `e2e-trace-${run}`;
  await faultDrill({ subProcessor: 'availability-sync', tableName: 'inventory_levels', rowKey, errorMessage: errorText });
  // The next change comes the way an engineer makes one: re-driving the row from /pipeline (its store is the fixture's own).
  await new RedrivePanel(page).redrive({ storeId, skuPrefix: sku, count: 1, reason: `e2e: trace ${run} into the drill` });
  let deadLetterId = '';
  await expect
    .poll(
      async () => {
        const { rows } = await withDb((client) =>
          client.query<{ id: string }>("SELECT id::text AS id FROM dead_letters WHERE row_key = $1 AND sub_processor = 'availability-sync' ORDER BY id DESC LIMIT 1", [rowKey]),
        );
        deadLetterId = rows[0]?.id ?? '';
        return deadLetterId;
      },
      { timeout: 60_000 },
    )
    .not.toBe('');

  // From the dead letter to its trace…
  const deadLetters = new DeadLettersPage(page);
  await deadLetters.open(`state=all&id=${deadLetterId}`);
  await deadLetters.panel(deadLetterId).panel.getByRole('link', { name: 'Trace this change' }).click();
  await expect(page).toHaveURL(/\/trace\?topic=inventory_levels&partition=\d+&offset=\d+$/);
  await expect(trace.getByRole('status')).toHaveText(/Failed: dead-lettered/, { timeout: 60_000 });
  const entry = trace.getByTestId(`trace-dead-letter-${deadLetterId}`);
  await expect(entry).toContainText(errorText);
  await expect(entry).toContainText('pending');
  await expect(trace.getByTestId('trace-sub-processor-availability-sync')).toContainText('dead_lettered');
  // The row's earlier version is listed and links to its own trace.
  await expect(trace.getByRole('navigation', { name: 'Recent versions of the row' }).getByRole('link')).toHaveCount(1);

  // …and back.
  await entry.getByRole('link', { name: `Dead letter #${deadLetterId}` }).click();
  await expect(page).toHaveURL(new RegExp(`/dead-letters\\?state=all&id=${deadLetterId}$`));
  await expect(deadLetters.panel(deadLetterId).panel).toBeVisible();

  // The worker's schedules are linked from /pipeline, retention's among them.
  await page.getByRole('navigation', { name: 'Console areas' }).getByRole('link', { name: 'Pipeline health' }).click();
  await expect(page.getByRole('heading', { name: 'Pipeline health', level: 1 })).toBeVisible({ timeout: 60_000 });
  const schedules = page.getByRole('region', { name: 'Schedules and retention' });
  await expect(schedules.getByRole('link', { name: /stream-retention/ })).toHaveAttribute('href', /\/namespaces\/[^/]+\/schedules\/stream-retention$/);
  await expect(schedules.getByRole('link', { name: /inventory-expiry-sweep/ })).toHaveAttribute('href', /\/schedules\/inventory-expiry-sweep$/);
});

test('a support agent may not trace changes', async ({ asRole }) => {
  const page = await asRole('support', '/');
  await expect(page.getByRole('navigation', { name: 'Console areas' }).getByRole('link', { name: 'Trace a change' })).toHaveCount(0);
  expect((await page.request.get('/api/stream/trace?table=inventory_levels&key=%5B%22a%22%2C%22b%22%5D')).status()).toBe(403);
});
