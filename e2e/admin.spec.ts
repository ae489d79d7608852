import { expect, logIn, screenshot, test } from './fixtures.ts';

test('an admin sees each changefeed table with its latest values, charts over the last hour, and the service health', async ({ page }) => {
  await logIn(page, 'admin', '/pipeline');
  await expect(page.getByRole('heading', { name: 'Pipeline health', level: 1 })).toBeVisible();

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
});
