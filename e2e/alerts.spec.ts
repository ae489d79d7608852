import { randomUUID } from 'node:crypto';
import { expect, expectSignedIn, screenshot, test } from './fixtures.ts';

const ALERTS_API = '**/api/pipeline/alerts';

test('/pipeline shows which alerts would fire now: loading, a failed load, no alerts, and a real DLQ-rate alert with its severity', async ({ asRole, deadLetters }) => {
  test.setTimeout(240_000);
  const page = await asRole('engineer');

  // Loading, then a failed load: the alerts answer is held, then refused.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(ALERTS_API, async (route) => {
    await held;
    await route.fulfill({ status: 500, json: { error: 'alerts unavailable (e2e)' } });
  });
  await page.goto('/pipeline');
  await expectSignedIn(page, 'engineer');
  const panel = page.getByRole('region', { name: 'Alerts' });
  // Generous: under `next dev` on a busy machine the first visit also compiles the page.
  await expect(panel.getByRole('status', { name: 'Loading alerts' })).toBeVisible({ timeout: 60_000 });
  release();
  await expect(panel.getByRole('alert')).toContainText('Could not load alerts', { timeout: 60_000 });
  await expect(panel.getByRole('button', { name: 'Retry' })).toBeVisible();

  // None firing, as the page renders an answer with nothing over its threshold.
  await page.unroute(ALERTS_API);
  await page.route(ALERTS_API, (route) =>
    route.fulfill({ json: { evaluatedAt: new Date().toISOString(), firing: [], rules: [{ name: 'DashOpsWorkerDown', severity: 'critical', summary: 'x' }] } }),
  );
  await page.reload();
  await expect(panel.getByText('No alerts firing')).toBeVisible({ timeout: 60_000 });
  await page.unroute(ALERTS_API);

  // Six dead letters in the last five minutes on one table: over 1 per minute, so the real evaluation fires the rule.
  const topic = `e2e-alerts-${randomUUID().slice(0, 8)}`;
  await deadLetters({ count: 6, topic, payload: 'not json', subProcessor: 'decode', tableName: 'inventory_lots', errorMessage: 'e2e: alert drill', stage: 'decode' });
  await page.reload();
  const firing = panel.getByRole('list', { name: 'Firing alerts' }).getByRole('listitem').filter({ hasText: 'DashOpsDeadLetterRateHigh' }).filter({ hasText: 'inventory_lots' });
  await expect(firing).toBeVisible({ timeout: 30_000 });
  await expect(firing).toContainText('warning');
  await expect(firing).toContainText('More than 1 dead letter per minute');
  await expect(firing).toContainText(/inventory_lots: \d+\.\d dead letters per minute over the last 5 minutes\./);
  await screenshot(page, 'pipeline-alerts');
});
