import { expect, screenshot, test } from './fixtures.ts';
import { DeadLettersPage } from './pages/dead-letters-page.ts';
import { RedrivePanel } from './pages/redrive-panel.ts';
import { auditActions, deadLetterStates, DRILL_STORE, DRILLED_SUB_PROCESSOR } from './support/dead-letters.ts';
import { redriveAudit } from './support/redrive.ts';

test('an engineer re-drives rows from /pipeline into a failing sub-processor, finds the dead letters, replays one, discards one with a reason, then bulk-replays the rest with a progress bar', async ({ asRole, drilledDeadLetters }) => {
  test.setTimeout(180_000);
  const page = await asRole('engineer', '/pipeline');
  await expect(page.getByRole('heading', { name: 'Pipeline health', level: 1 })).toBeVisible();

  // The drilled rows change by recovery by touch from the console (preview, confirm, result), each re-drive audited.
  const redrivePanel = new RedrivePanel(page);
  const redrives: { id: string; skuPrefix: string; count: number }[] = [];
  const drill = await drilledDeadLetters(async (skuPrefix, count) => {
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
  const list = new DeadLettersPage(page);
  await list.filter({ subProcessor: DRILLED_SUB_PROCESSOR, errorText: drill.errorText });
  await expect(page).toHaveURL(new RegExp(`subProcessor=${DRILLED_SUB_PROCESSOR}.*errorText=${drill.errorText}`));
  const { table, rows } = list;
  await expect(rows).toHaveCount(1 + 4);
  await expect(page.getByText('4 pending entries match')).toBeVisible();

  // The detail: error, origin, payload and headers.
  const entry = await list.openEntry(first.id);
  await expect(page).toHaveURL(new RegExp(`id=${first.id}`));
  const { panel } = entry;
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
  await entry.replay();
  await expect(panel.getByRole('status')).toContainText('Replayed');
  await expect(panel.getByText('Replayed', { exact: true }).first()).toBeVisible();
  await expect(panel.getByRole('heading', { name: 'Resolution' })).toBeVisible();
  await expect(panel.getByText('engineer', { exact: true })).toBeVisible();
  await expect(entry.replayButton).toHaveCount(0);
  await entry.close();
  await expect(panel).toHaveCount(0);

  // The replayed entry leaves the pending list.
  await expect(rows).toHaveCount(1 + 3);
  await expect(list.entryLink(first.id)).toHaveCount(0);

  // Discard one: a reason is required, and it is shown as the resolution.
  const spareEntry = await list.openEntry(spare.id);
  const sparePanel = spareEntry.panel;
  const discard = await spareEntry.startDiscard();
  await discard.getByRole('button', { name: 'Discard' }).click();
  await expect(discard.getByText('A reason is required; it goes into the audit log.')).toBeVisible();
  await discard.getByLabel('Why discard it? (required, audited)').fill('e2e: drill entry, nothing to apply');
  await discard.getByRole('button', { name: 'Discard' }).click();
  await expect(discard).toBeHidden();
  await expect(sparePanel.getByText('Discarded', { exact: true }).first()).toBeVisible();
  await expect(sparePanel.getByRole('region', { name: 'Resolution' })).toContainText('e2e: drill entry, nothing to apply');
  await spareEntry.close();
  await expect(rows).toHaveCount(1 + 2);

  // Select one row to see the selection count, then clear it and replay by filter instead.
  await table.getByRole('checkbox', { name: `Select dead letter ${second.id}` }).check();
  await expect(page.getByRole('button', { name: 'Replay selected (1)' })).toBeEnabled();
  await table.getByRole('checkbox', { name: `Select dead letter ${second.id}` }).uncheck();

  // Bulk: all matching the filter, as a durable bulk operation: count preview, the count typed back, a reason.
  const confirm = await list.startBulk('Replay');
  await expect(confirm.getByTestId('bulk-preview-count')).toContainText('2 pending entries');
  await confirm.getByLabel('Type 2 to confirm').fill('2');
  await confirm.getByLabel('Reason (audited)').fill('e2e: the drill is over, replay the rest');
  await confirm.getByRole('button', { name: 'Replay 2 entries' }).click();
  await expect(confirm).toBeHidden();

  const op = list.bulkOp('e2e: the drill is over, replay the rest');
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
  const superseded = list.panel(overtaken.id);
  const supersededPanel = superseded.panel;
  await expect(supersededPanel.getByText('Superseded, not applied.')).toBeVisible();
  await expect(supersededPanel.getByText(/newer version \(updated .*\) of key/)).toBeVisible();

  // Resolved entries are still there for the record under "Any state".
  await superseded.close();
  await list.filter({ state: 'all' });
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
