import { expect, screenshot, test } from './fixtures.ts';

test('a signed-in user sees Postgres, Kafka, Temporal and the worker all healthy on the home page', async ({ page: anonymous, asRole }) => {
  await anonymous.goto('/');
  await expect(anonymous).toHaveURL(/\/login/);

  const page = await asRole('engineer', '/');
  await expect(page.getByRole('heading', { name: 'System health' })).toBeVisible();
  for (const service of ['Postgres', 'Kafka', 'Temporal', 'Worker']) {
    await expect(page.getByRole('listitem', { name: `${service}: healthy` })).toBeVisible({ timeout: 30_000 });
  }
  await expect(page.getByText('Down')).toHaveCount(0);
  await screenshot(page, 'home');
});

test('a wrong password is refused with a message, and the user stays on the login page', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Username').fill('associate');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Wrong username or password.' })).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test('the worker serves its Temporal worker metrics for Prometheus, per task queue', async () => {
  // What an on-call scrapes when workflows slow down: slots, pollers, schedule-to-start and RPC latencies.
  const address = process.env.WORKER_METRICS_ADDRESS ?? '127.0.0.1:9464';
  await expect
    .poll(
      async () => {
        const res = await fetch(`http://${address}/metrics`).catch(() => null);
        return res?.ok ? await res.text() : '';
      },
      { timeout: 30_000, message: `worker metrics at http://${address}/metrics` },
    )
    .toMatch(/temporal_worker_task_slots_available\{[^}]*task_queue="dashops-card-link"/);
});
