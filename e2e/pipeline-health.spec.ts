import { randomUUID } from 'node:crypto';
import type { Page } from '@playwright/test';
import { slotHealth, type SlotLag } from '../server/stream/slot-lag.ts';
import type { PipelineHealth } from '../server/stream/pipeline-health.ts';
import { expect, screenshot, test } from './fixtures.ts';
import { withDb } from './support/db.ts';

const PIPELINE_API = '**/api/pipeline';
const TABLES = ['inventory_levels', 'inventory_lots'] as const;

/** A table card's "Queued in workflows" figure: its value (how many) and its note (the oldest's age). */
function queuedStat(page: Page, table: string) {
  const card = page.getByRole('article', { name: table });
  const stat = card.locator('dl > div').filter({ has: page.getByRole('term').filter({ hasText: /^Queued in workflows$/ }) });
  return { card, value: stat.getByRole('definition').first(), note: stat.getByRole('definition').nth(1) };
}

interface StuckMessage {
  rowKey: string;
}

/**
 * What the processor records when a stream workflow accepted a change that it then never applies nor dead-letters:
 * a `signalled` outcome with no stream_applied row. Dated 50 s back (within the sampler's one-minute commit margin,
 * so its next scan sees it) so that it is over a minute old, amber on the page, within one sample or two.
 */
async function signalStuckMessage(table: string, subProcessor: string): Promise<StuckMessage> {
  const rowKey = JSON.stringify([`e2e-stuck-${randomUUID().slice(0, 8)}`]);
  await withDb((client) =>
    client.query(
      `INSERT INTO change_outcomes (table_name, row_key, updated, topic, partition, "offset", sub_processor, outcome, workflow_id, created_at)
       VALUES ($1, $2, $3, $1, 0, $4, $5, 'signalled', $6, now() - interval '50 seconds')`,
      [table, rowKey, `${Date.now() - 50_000}000000.0000000000`, 9_000_000_000_000 + Math.floor(Math.random() * 1_000_000), subProcessor, `stream:${subProcessor}:e2e`],
    ),
  );
  return { rowKey };
}

async function removeStuckMessage(table: string, { rowKey }: StuckMessage): Promise<void> {
  await withDb((client) => client.query('DELETE FROM change_outcomes WHERE table_name = $1 AND row_key = $2', [table, rowKey]));
}

test('/pipeline shows per table how many messages are queued in stream workflows and how long the oldest has waited, from the data', async ({ asRole }) => {
  // The worker samples every 10 s and the page polls every 10 s: a change in the data shows within about 20 s.
  test.setTimeout(240_000);
  const page = await asRole('engineer', '/pipeline');
  await expect(page.getByRole('heading', { name: 'Pipeline health', level: 1 })).toBeVisible();

  for (const table of TABLES) {
    const { card, value, note } = queuedStat(page, table);
    await expect(value).toHaveText(/^[\d,]+ messages?$/, { timeout: 60_000 });
    await expect(note).toHaveText(/^(▲ )?(None waiting|Oldest \d+ (s|min|h))/);
    await expect(card.getByRole('figure', { name: new RegExp(`^${table}: Queued in workflows`) }).getByRole('application')).toBeVisible();
  }

  // A message signalled into a stream workflow and never applied: counted, and amber once it has waited a minute.
  const table = 'inventory_lots';
  const { value, note } = queuedStat(page, table);
  const stuck = await signalStuckMessage(table, 'expiry-write-off');
  try {
    await expect(note).toHaveText(/Oldest 1 min/, { timeout: 90_000 });
    await expect(note).toContainText('▲');
    await expect(value).toHaveText(/^[1-9][\d,]* messages?$/);
    await screenshot(page, 'pipeline-queued-stuck');
  } finally {
    await removeStuckMessage(table, stuck);
  }
  // Gone from the data, gone from the page: what remains, if anything, is younger than the stuck one was.
  await expect(note).toHaveText(/^(None waiting|Oldest \d+ s)$/, { timeout: 60_000 });
});

test("/pipeline shows the relay slot's state, and for a lost slot the way back: drop it, let the relay re-create it, re-drive rows", async ({ asRole }) => {
  test.setTimeout(120_000);
  const page = await asRole('engineer', '/pipeline');
  const slot = page.getByRole('region', { name: /^Replication slot/ });

  // The real slot of the worker's relay, read live.
  await expect(slot).toHaveAttribute('data-state', 'ok', { timeout: 60_000 });
  const real = (await (await page.request.get('/api/pipeline')).json()) as PipelineHealth;
  const slotName = real.slot.slotName;
  expect(slotName).not.toBeNull();
  expect(real.slot.reading).not.toBeNull();
  await expect(slot).toContainText(`Replication slot "${slotName}" is streaming.`);
  await expect(slot).toContainText('WAL held for the relay');
  await expect(slot.getByText('To recover:')).toHaveCount(0);

  // A lost slot: the page's own answer with its slot read as Postgres reports an invalidated one, mapped by the real
  // slotHealth. Invalidating the stack's slot would stop every other spec's stream; a real invalidation on a Postgres
  // of its own, through the same reading, is tested in server/stream/slot-lost.integration.test.ts.
  await page.route(PIPELINE_API, async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as PipelineHealth;
    const reading: SlotLag = { ...body.slot.reading!, active: false, walStatus: 'lost', safeWalBytes: null, invalidationReason: 'wal_removed' };
    await route.fulfill({ response, json: { ...body, slot: slotHealth(body.slot.slotName, reading) } });
  });
  await page.reload();
  await expect(slot).toHaveAttribute('data-state', 'lost', { timeout: 60_000 });
  await expect(slot.getByRole('alert')).toHaveText(
    `Replication slot "${slotName}" is invalidated (Postgres removed WAL it still needed: the slot held more than max_slot_wal_keep_size), so the relay cannot resume from it.`,
  );
  await expect(slot).not.toContainText('WAL held for the relay');
  await expect(slot.getByText('To recover:')).toBeVisible();
  const steps = slot.getByRole('listitem');
  await expect(steps).toHaveCount(3);
  await expect(steps.nth(0)).toContainText(`Stop the worker and drop the slot: SELECT pg_drop_replication_slot('${slotName}');`);
  await expect(steps.nth(1)).toContainText('Start the worker: its relay creates the slot again at the current WAL position.');
  await expect(steps.nth(2)).toContainText('use Re-drive rows on this page');
  // The re-drive the last step names is on the page for an engineer.
  await expect(page.getByRole('heading', { name: 'Re-drive rows' })).toBeVisible();
  await screenshot(page, 'pipeline-slot-lost');

  // The real answer again: the slot streams, nothing to recover.
  await page.unroute(PIPELINE_API);
  await page.reload();
  await expect(slot).toHaveAttribute('data-state', 'ok', { timeout: 60_000 });
  await expect(slot.getByText('To recover:')).toHaveCount(0);
});
