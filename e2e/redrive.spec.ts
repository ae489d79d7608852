import { randomUUID } from 'node:crypto';
import { expect, test } from './fixtures.ts';
import { RedrivePanel } from './pages/redrive-panel.ts';
import { redriveAudit } from './support/redrive.ts';

// Demo-seed rows (server/db/seed.ts) no other spec changes; a re-drive changes no stock anyway.
const STORE = 'SF-002';
const PREFIX = 'BKY-';

const json = (origin: string) => ({ origin, 'content-type': 'application/json' });

test('an admin re-drives rows from /pipeline after the empty and missing-reason states, and finds the re-drive in the audit log', async ({ asRole }) => {
  const page = await asRole('admin', '/pipeline');
  const redrive = new RedrivePanel(page);
  await redrive.open();

  // Nothing chosen, then a prefix that matches nothing: both say so, and offer no re-drive.
  await redrive.preview();
  await expect(redrive.panel.getByText('Choose a store: a re-drive covers one store at a time.')).toBeVisible();
  await redrive.choose({ storeId: STORE, skuPrefix: 'bky-' });
  await redrive.preview();
  await expect(redrive.panel.getByRole('status').filter({ hasText: 'No rows match' })).toContainText('SKU prefixes are case-sensitive');
  await expect(redrive.panel.getByRole('button', { name: /^Re-drive/ })).toHaveCount(0);

  // Lots included: the count splits levels and lots; a re-drive needs a reason before it asks to confirm.
  await redrive.choose({ storeId: STORE, skuPrefix: PREFIX, lots: true });
  await redrive.preview();
  await expect(redrive.panel.getByTestId('redrive-preview')).toContainText(/rows would be re-driven \(2 levels, \d+ lots\)/);
  await redrive.panel.getByRole('button', { name: /^Re-drive \d+ rows$/ }).click();
  await expect(redrive.panel.getByText('A reason is required; it goes into the audit log.')).toBeVisible();
  await expect(page.getByRole('dialog')).toHaveCount(0);

  const reason = `e2e admin re-drive ${randomUUID().slice(0, 8)}`;
  const id = await redrive.redrive({ storeId: STORE, skuPrefix: PREFIX, reason, count: 2 });
  expect(await redriveAudit(id)).toMatchObject({ actor: 'admin', actor_role: 'admin', target: `inventory_levels:${STORE}/${PREFIX}*`, reason });

  // Admins read it back in the audit log.
  await page.getByRole('navigation', { name: 'Console areas' }).getByRole('link', { name: 'Audit log' }).click();
  const action = page.getByLabel('Action');
  await expect(action.getByRole('option', { name: 'inventory.redrive' })).toBeAttached();
  await action.selectOption('inventory.redrive');
  await page.getByLabel('Reason contains').fill(reason);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const rows = page.getByRole('table', { name: 'Audit entries' }).getByRole('row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1).getByRole('cell').nth(2)).toHaveText('inventory.redrive');
  await expect(rows.nth(1).getByRole('cell').nth(3)).toHaveText(`inventory_levels:${STORE}/${PREFIX}*`);
});

test('the re-drive API answers bad input with a clear 4xx, and refuses associates', async ({ asRole, baseURL }) => {
  const page = await asRole('engineer', '/');
  const headers = json(new URL(baseURL ?? page.url()).origin);
  const post = (data: unknown) => page.request.post('/api/inventory/redrive', { headers, data });
  const errorOf = async (response: Awaited<ReturnType<typeof post>>) => ((await response.json()) as { error: string }).error;

  const noStore = await page.request.get('/api/inventory/redrive?skuPrefix=BKY-');
  expect(noStore.status()).toBe(422);
  expect(await errorOf(noStore)).toContain('store is required');
  const badFlag = await page.request.get(`/api/inventory/redrive?store=${STORE}&lots=maybe`);
  expect(badFlag.status()).toBe(422);
  const unknown = await page.request.get('/api/inventory/redrive?store=XX-999');
  expect(unknown.status()).toBe(404);
  expect(await errorOf(unknown)).toBe('Unknown store "XX-999".');
  // Wildcards are literal: "%" matches only a SKU that has one.
  const wildcard = await page.request.get(`/api/inventory/redrive?store=${STORE}&skuPrefix=${encodeURIComponent('%')}`);
  expect(wildcard.status()).toBe(200);
  expect(await wildcard.json()).toMatchObject({ total: 0, max: 5000, overCap: false });

  const nul = await post({ storeId: `${STORE}\u0000`, reason: 'nul' });
  expect(nul.status()).toBe(422);
  // NUL anywhere in a body is refused before the schema (server/http/json-body.ts), naming the field.
  expect(await errorOf(nul)).toContain('storeId: must not contain control characters');
  const long = await post({ storeId: STORE, skuPrefix: 'X'.repeat(65), reason: 'r'.repeat(501) });
  expect(long.status()).toBe(422);
  expect(await errorOf(long)).toContain('SKU prefix is limited to 64 characters');
  const noReason = await post({ storeId: STORE, skuPrefix: PREFIX, reason: '  ' });
  expect(noReason.status()).toBe(422);
  expect(await errorOf(noReason)).toContain('A reason is required');
  const nothing = await post({ storeId: STORE, skuPrefix: '%', reason: 'matches nothing' });
  expect(nothing.status()).toBe(409);
  expect(await errorOf(nothing)).toContain('No rows match this selection');
  const notJson = await page.request.post('/api/inventory/redrive', { headers, data: Buffer.from('{"storeId": ') });
  expect(notJson.status()).toBe(400);
  const notObject = await post(['SF-002']);
  expect(notObject.status()).toBe(422);

  const associate = await asRole('associate', '/');
  const refused = await associate.request.post('/api/inventory/redrive', { headers, data: { storeId: STORE, skuPrefix: PREFIX, reason: 'not mine' } });
  expect(refused.status()).toBe(403);
  expect(await errorOf(refused)).toBe('Your role (associate) may not use pipeline.');
  expect((await associate.request.get(`/api/inventory/redrive?store=${STORE}`)).status()).toBe(403);
  expect((await associate.request.get('/api/inventory/redrive/stores')).status()).toBe(403);
});
