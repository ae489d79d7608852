import { expect, logIn, screenshot, test } from './fixtures.ts';
import { auditActions, deadLetterStates, DRILL_STORE, DRILLED_SUB_PROCESSOR, produceDrilledDeadLetters } from './support/dead-letters.ts';
import { redriveAudit, RedrivePanel } from './support/redrive.ts';

test('an engineer re-drives rows from /pipeline into a failing sub-processor, finds the dead letters, replays one, discards one with a reason, then bulk-replays the rest with a progress bar', async ({ page }) => {
  test.setTimeout(180_000);
  await logIn(page, 'engineer', '/pipeline');
  await expect(page.getByRole('heading', { name: 'Pipeline health', level: 1 })).toBeVisible();

  // The drilled rows change by recovery by touch from the console (preview, confirm, result), each re-drive audited.
  const redrivePanel = new RedrivePanel(page);
  const redrives: { id: string; skuPrefix: string; count: number }[] = [];
  const drill = await produceDrilledDeadLetters(async (skuPrefix, count) => {
    const id = await redrivePanel.redrive({ storeId: DRILL_STORE, skuPrefix, count, reason: `e2e: re-drive ${skuPrefix} into the drill` });
    redrives.push({ id, skuPrefix, count });
  });
  expect(redrives.map(({ count }) => count)).toEqual([4, 1]);
  for (const { id, skuPrefix, count } of redrives) {
    expect(await redriveAudit(id)).toMatchObject({
      action: 'inventory.redrive',
      actor: 'engineer',
      actor_role: 'engineer',
      target: `inventory_levels:${DRILL_STORE}/${skuPrefix}*`,
      reason: `e2e: re-drive ${skuPrefix} into the drill`,
      details: { touched: { levels: count, lots: 0, total: count }, completed: true, via: 'console' },
    });
  }
  await screenshot(page, 'redrive');
  const [first, second] = drill.replayable;
  if (!first || !second) throw new Error('the drill produced too few dead letters');
  const { overtaken, spare } = drill;

  await page.getByRole('navigation', { name: 'Console areas' }).getByRole('link', { name: 'Dead letters' }).click();
  await expect(page.getByRole('heading', { name: 'Dead letters', level: 1 })).toBeVisible();

  // Filter to this run's failures of the drilled sub-processor; the filter lands in the URL.
  const filters = page.getByRole('search', { name: 'Filter dead letters' });
  await filters.getByLabel('Sub-processor').selectOption(DRILLED_SUB_PROCESSOR);
  await filters.getByLabel('Error contains').fill(drill.errorText);
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(new RegExp(`subProcessor=${DRILLED_SUB_PROCESSOR}.*errorText=${drill.errorText}`));
  const table = page.getByRole('table', { name: 'Dead letters, newest first' });
  const rows = table.getByRole('row');
  await expect(rows).toHaveCount(1 + 4);
  await expect(page.getByText('4 pending entries match')).toBeVisible();

  // The detail: error, origin, payload and headers.
  await table.getByRole('link', { name: `Open dead letter ${first.id}` }).click();
  await expect(page).toHaveURL(new RegExp(`id=${first.id}`));
  const panel = page.getByRole('complementary', { name: `Dead letter #${first.id}` });
  await expect(panel.getByRole('region', { name: 'Error' }).getByText(drill.errorMessage, { exact: true })).toBeVisible();
  await expect(panel.getByText('Pending', { exact: true })).toBeVisible();
  await expect(panel.getByRole('region', { name: 'Payload' })).toContainText(`"store_id": "${DRILL_STORE}"`);
  const headers = panel.getByRole('region', { name: 'Headers' });
  await expect(headers.getByRole('row', { name: /dlq-sub-processor/ })).toContainText(DRILLED_SUB_PROCESSOR);
  await expect(headers.getByRole('row', { name: /dlq-error-kind/ })).toContainText('non_retryable');
  const origin = panel.getByRole('region', { name: 'Where it came from' });
  await expect(origin).toContainText('Original topic');
  await expect(origin).toContainText(first.rowKey);

  // Replay it: the drill is gone, so the real sub-processor succeeds.
  await panel.getByRole('button', { name: 'Replay', exact: true }).click();
  await expect(panel.getByRole('status')).toContainText('Replayed');
  await expect(panel.getByText('Replayed', { exact: true }).first()).toBeVisible();
  await expect(panel.getByRole('heading', { name: 'Resolution' })).toBeVisible();
  await expect(panel.getByText('engineer', { exact: true })).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Replay', exact: true })).toHaveCount(0);
  await panel.getByRole('button', { name: /Close/ }).click();
  await expect(panel).toHaveCount(0);

  // The replayed entry leaves the pending list.
  await expect(rows).toHaveCount(1 + 3);
  await expect(table.getByRole('link', { name: `Open dead letter ${first.id}` })).toHaveCount(0);

  // Discard one: a reason is required, and it is shown as the resolution.
  await table.getByRole('link', { name: `Open dead letter ${spare.id}` }).click();
  const sparePanel = page.getByRole('complementary', { name: `Dead letter #${spare.id}` });
  await sparePanel.getByRole('button', { name: 'Discard…' }).click();
  const discard = page.getByRole('dialog', { name: `Discard dead letter #${spare.id}?` });
  await discard.getByRole('button', { name: 'Discard' }).click();
  await expect(discard.getByText('A reason is required; it goes into the audit log.')).toBeVisible();
  await discard.getByLabel('Why discard it? (required, audited)').fill('e2e: drill entry, nothing to apply');
  await discard.getByRole('button', { name: 'Discard' }).click();
  await expect(discard).toBeHidden();
  await expect(sparePanel.getByText('Discarded', { exact: true }).first()).toBeVisible();
  await expect(sparePanel.getByRole('region', { name: 'Resolution' })).toContainText('e2e: drill entry, nothing to apply');
  await sparePanel.getByRole('button', { name: /Close/ }).click();
  await expect(rows).toHaveCount(1 + 2);

  // Select one row to see the selection count, then clear it and replay by filter instead.
  await table.getByRole('checkbox', { name: `Select dead letter ${second.id}` }).check();
  await expect(page.getByRole('button', { name: 'Replay selected (1)' })).toBeEnabled();
  await table.getByRole('checkbox', { name: `Select dead letter ${second.id}` }).uncheck();

  // Bulk: all matching the filter, as a durable bulk operation: count preview, the count typed back, a reason.
  await page.getByRole('button', { name: 'Replay all matching filter…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Replay all pending entries matching the filter?' });
  await expect(confirm.getByTestId('bulk-preview-count')).toContainText('2 pending entries');
  await confirm.getByLabel('Type 2 to confirm').fill('2');
  await confirm.getByLabel('Reason (audited)').fill('e2e: the drill is over, replay the rest');
  await confirm.getByRole('button', { name: 'Replay 2 entries' }).click();
  await expect(confirm).toBeHidden();

  const op = page.getByTestId('bulk-op').filter({ hasText: 'e2e: the drill is over, replay the rest' });
  await expect(op.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100', { timeout: 60_000 });
  await expect(op.getByTestId('bulk-op-counts')).toContainText('2 of 2 done · 1 replayed · 1 superseded · 0 failed · 0 skipped');
  await op.getByRole('button', { name: 'Results' }).click();
  const results = op.getByRole('list', { name: /^Results of bulk operation/ }).getByRole('listitem');
  await expect(results).toHaveCount(2);
  await expect(results.filter({ hasText: `#${second.id}` })).toContainText('replayed');
  await expect(results.filter({ hasText: `#${overtaken.id}` })).toContainText('superseded');
  await expect(page.getByText('No dead letters match these filters')).toBeVisible();
  await screenshot(page, 'dead-letters');

  // The superseded entry says why in words.
  await results.getByRole('link', { name: `#${overtaken.id}` }).click();
  const supersededPanel = page.getByRole('complementary', { name: `Dead letter #${overtaken.id}` });
  await expect(supersededPanel.getByText('Superseded, not applied.')).toBeVisible();
  await expect(supersededPanel.getByText(/newer version \(updated .*\) of key/)).toBeVisible();

  // Resolved entries are still there for the record under "Any state".
  await supersededPanel.getByRole('button', { name: /Close/ }).click();
  await filters.getByLabel('State').selectOption('all');
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await expect(rows).toHaveCount(1 + 4);
  await expect(table.getByText('Superseded', { exact: true })).toHaveCount(1);
  await expect(table.getByText('Discarded', { exact: true })).toHaveCount(1);

  // The database agrees, and every replay is audited under the engineer's name.
  const states = await deadLetterStates([first.id, second.id, overtaken.id]);
  expect(states).toEqual({
    [first.id]: { status: 'replayed', resolved_by: 'engineer' },
    [second.id]: { status: 'replayed', resolved_by: 'engineer' },
    [overtaken.id]: { status: 'superseded', resolved_by: 'engineer' },
  });
  expect(await deadLetterStates([spare.id])).toEqual({ [spare.id]: { status: 'discarded', resolved_by: 'engineer' } });
  expect(await auditActions(`dead_letter:${spare.id}`)).toEqual([{ action: 'dead_letter.discard', actor: 'engineer', actor_role: 'engineer' }]);
  for (const entry of [first, second, overtaken]) {
    expect(await auditActions(`dead_letter:${entry.id}`)).toEqual([{ action: 'dead_letter.replay', actor: 'engineer', actor_role: 'engineer' }]);
  }

  // Bad input is answered 4xx with a clear message, never a 500.
  const api = page.request;
  const json = { origin: new URL(page.url()).origin, 'content-type': 'application/json' };
  const again = await api.post(`/api/dead-letters/${first.id}/replay`, { headers: json, data: {} });
  expect(again.status()).toBe(409);
  expect(((await again.json()) as { error: string }).error).toContain('is replayed, not pending');
  const noReason = await api.post(`/api/dead-letters/${second.id}/discard`, { headers: json, data: { reason: '  ' } });
  expect(noReason.status()).toBe(422);
  const badState = await api.get('/api/dead-letters?state=lost');
  expect(badState.status()).toBe(422);
  expect(((await badState.json()) as { error: string }).error).toContain('state must be one of');
  const badId = await api.get('/api/dead-letters/not-a-number');
  expect(badId.status()).toBe(422);
  const missing = await api.get('/api/dead-letters/999999999999');
  expect(missing.status()).toBe(404);
  const tooMany = await api.post('/api/dead-letters/bulk-ops', {
    headers: json,
    data: { kind: 'replay', selection: { ids: Array.from({ length: 10_001 }, (_, i) => String(i + 1)) }, reason: 'too many', confirmedCount: 1 },
  });
  expect(tooMany.status()).toBe(422);
  expect(((await tooMany.json()) as { error: string }).error).toContain('At most 10000 ids');
  const unconfirmed = await api.post('/api/dead-letters/bulk-ops', { headers: json, data: { kind: 'replay', selection: { ids: [first.id] }, reason: 'no count' } });
  expect(unconfirmed.status()).toBe(422);
  expect(((await unconfirmed.json()) as { error: string }).error).toContain('confirmedCount');
});
