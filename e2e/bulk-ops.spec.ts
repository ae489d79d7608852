import { randomUUID } from 'node:crypto';
import { expect, test } from './fixtures.ts';
import { DeadLettersPage } from './pages/dead-letters-page.ts';
import { auditActions, deadLetterStates } from './support/dead-letters.ts';

test('an engineer discards many entries as a durable bulk operation: preview, typed count and reason, live progress to done, audited', async ({ asRole, deadLetters }) => {
  const errorText = `bulk-${randomUUID().slice(0, 8)}`;
  // Pending entries whose error carries a run-unique text, on a run-unique topic; removed afterwards with the operation.
  const ids = await deadLetters({ count: 3, topic: `e2e-bulk-${randomUUID().slice(0, 8)}.inventory_levels`, errorMessage: `e2e bulk: ${errorText}` });
  const page = await asRole('engineer', `/dead-letters?errorText=${errorText}`);
  const list = new DeadLettersPage(page);
  await expect(page.getByRole('table').getByRole('row')).toHaveCount(1 + 3);

  const confirm = await list.startBulk('Discard');
  await expect(confirm.getByTestId('bulk-preview-count')).toContainText('3 pending entries');
  // The count must be typed back exactly, and a reason given.
  await confirm.getByLabel('Type 3 to confirm').fill('30');
  await confirm.getByLabel('Reason (the resolution of every entry; audited)').fill('e2e: known noise, nothing to apply');
  await confirm.getByRole('button', { name: 'Discard 3 entries' }).click();
  await expect(confirm.getByRole('alert')).toContainText('Type 3 exactly to confirm.');
  await confirm.getByLabel('Type 3 to confirm').fill('3');
  await confirm.getByRole('button', { name: 'Discard 3 entries' }).click();
  await expect(confirm).toBeHidden();

  const op = list.bulkOp('e2e: known noise, nothing to apply');
  await expect(op.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100', { timeout: 60_000 });
  await expect(op).toContainText('finished');
  await expect(op).toContainText('by engineer');
  await expect(op.getByRole('link', { name: /workflow \(latest run\)/ })).toHaveAttribute('href', /\/workflows\/dead-letter-bulk/);
  await expect(op.getByTestId('bulk-op-counts')).toContainText('3 of 3 done · 3 discarded · 0 superseded · 0 failed · 0 skipped');
  await op.getByRole('button', { name: 'Results' }).click();
  await expect(op.getByRole('list', { name: /^Results of bulk operation/ }).getByRole('listitem')).toHaveCount(3);
  await expect(page.getByText('No dead letters match these filters')).toBeVisible();

  const states = await deadLetterStates(ids);
  for (const id of ids) expect(states[id]).toEqual({ status: 'discarded', resolved_by: 'engineer' });
  const opId = await op.getAttribute('data-op-id');
  expect((await auditActions(`dead_letter_bulk_op:${opId}`)).map((row) => row.action)).toEqual(['dead_letter.bulk_op.started', 'dead_letter.bulk_op.finished']);
});
