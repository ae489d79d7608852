import { expect, test } from '@playwright/test';

test('the home page shows Postgres, Kafka, Temporal and the worker all healthy', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'System health' })).toBeVisible();

  for (const service of ['Postgres', 'Kafka', 'Temporal', 'Worker']) {
    await expect(page.getByRole('listitem', { name: `${service}: healthy` })).toBeVisible({ timeout: 30_000 });
  }
  await expect(page.getByText('Down')).toHaveCount(0);
  await page.screenshot({ path: 'e2e/screenshots/home.png', fullPage: true });
});
