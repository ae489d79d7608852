import { randomUUID } from 'node:crypto';
import { expect, screenshot, test } from './fixtures.ts';

test('an admin watches pipeline health, then finds their own stock adjustment in the audit log: who, what, when and why', async ({ asRole, stockItem }) => {
  // Two areas; the dev server may compile each page and its data routes on first visit.
  test.setTimeout(120_000);
  const page = await asRole('admin', '/pipeline');
  await expect(page.getByRole('heading', { name: 'Pipeline health', level: 1 })).toBeVisible();

  // A real audited action, through the console's own API (admins may adjust stock); it also feeds the pipeline.
  const { storeId, sku } = stockItem;
  const note = `e2e audit ${randomUUID().slice(0, 8)}`;
  const adjusted = await page.request.post('/api/inventory/adjustments', {
    headers: { origin: new URL(page.url()).origin },
    data: { storeId, sku, delta: 1, reason: 'receive', note },
  });
  expect(adjusted.status()).toBe(200);

  for (const table of ['inventory_levels', 'inventory_lots']) {
    const card = page.getByRole('article', { name: table });
    await expect(card).toBeVisible();
    // The worker samples every 10 s; a fresh stack has its first sample within seconds of starting.
    await expect(card.getByRole('term').filter({ hasText: 'Consumer lag' })).toBeVisible({ timeout: 30_000 });
    await expect(card.getByRole('definition').filter({ hasText: /^[\d,]+ msg$/ })).toBeVisible();
    await expect(card.getByRole('definition').filter({ hasText: /^[\d.,]+ msg\/s$/ })).toBeVisible();
    await expect(card.getByText(/last sample/)).toBeVisible();
    await expect(card.getByRole('table', { name: `${table}: consumer lag per partition` }).getByRole('row')).not.toHaveCount(1);
    for (const chart of ['Consumer lag', 'Relay slot lag', 'Messages per second', 'Workflow backlog', 'DLQ rate']) {
      const figure = card.getByRole('figure', { name: new RegExp(`^${table}: ${chart}`) });
      await expect(figure.getByRole('application')).toBeVisible();
    }
  }

  const services = page.getByRole('region', { name: 'Service health' });
  for (const service of ['Postgres', 'Kafka', 'Temporal', 'Worker']) {
    await expect(services.getByRole('listitem', { name: `${service}: healthy` })).toBeVisible({ timeout: 30_000 });
  }
  await screenshot(page, 'pipeline');

  // The audit log: filter by the action and the reason the adjustment gave.
  await page.getByRole('navigation', { name: 'Console areas' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
  const action = page.getByLabel('Action');
  await expect(action.getByRole('option', { name: 'inventory.adjust' })).toBeAttached();
  await action.selectOption('inventory.adjust');
  await page.getByLabel('Reason contains').fill(note);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/[?&]action=inventory\.adjust/);
  await expect(page).toHaveURL(new RegExp(`[?&]reason=${encodeURIComponent(note).replace(/%20/g, '(\\+|%20)')}`));

  const rows = page.getByRole('table', { name: 'Audit entries' }).getByRole('row');
  await expect(rows).toHaveCount(2); // the header and the one entry
  const row = rows.nth(1);
  await expect(row.getByRole('cell').nth(1)).toHaveText(/admin\s+admin/i);
  await expect(row.getByRole('cell').nth(2)).toHaveText('inventory.adjust');
  await expect(row.getByRole('cell').nth(3)).toHaveText(`inventory_levels:${storeId}/${sku}`);
  await expect(row.getByRole('cell').nth(4)).toHaveText(note);
  const time = row.locator('time');
  const at = Date.parse((await time.getAttribute('datetime')) ?? '');
  expect(Math.abs(Date.now() - at)).toBeLessThan(5 * 60_000);
  await row.getByRole('button', { name: /^Details/ }).click();
  const details = page.getByRole('group', { name: `Details of inventory.adjust on inventory_levels:${storeId}/${sku}` });
  await expect(details).toContainText('"delta": 1');
  await expect(details).toContainText('"reason": "receive"');
  await row.getByRole('button', { name: /^Hide details/ }).click();
  await expect(details).toHaveCount(0);

  // The filter lives in the URL: a reload (or a shared link) shows the same entries.
  await page.reload();
  await expect(page.getByLabel('Reason contains')).toHaveValue(note);
  await expect(page.getByRole('table', { name: 'Audit entries' }).getByRole('row')).toHaveCount(2);

  // Bad filters in a hand-edited URL are refused with a message, not a crash.
  const bad = await page.request.get('/api/audit?from=yesterday');
  expect(bad.status()).toBe(422);
  expect(((await bad.json()) as { error: string }).error).toContain('from must be an ISO date-time');

  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByRole('table', { name: 'Audit entries' }).getByRole('row').nth(1)).toBeVisible();
  await screenshot(page, 'audit');
});

test('an engineer may not open the audit log, nor read it through the API', async ({ asRole }) => {
  const page = await asRole('engineer', '/');
  await expect(page.getByRole('navigation', { name: 'Console areas' }).getByRole('link', { name: 'Audit log' })).toHaveCount(0);
  expect((await page.request.get('/api/audit')).status()).toBe(403);
  expect((await page.request.get('/api/audit/actions')).status()).toBe(403);
  await page.goto('/audit');
  await expect(page.getByRole('heading', { name: 'Your role cannot open this page' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Audit log' })).toHaveCount(0);
});
