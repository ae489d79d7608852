import fs from 'node:fs';
import path from 'node:path';
import { startConsole, startWorker } from './stack/app.ts';
import { startBackend } from './stack/backend.ts';
import { devPorts } from './stack/config.ts';
import { StackLock } from './stack/lock.ts';
import { dataRoot, repoRoot } from './stack/paths.ts';
import { StackSetupError } from './stack/prerequisites.ts';
import { step } from './stack/progress.ts';
import { demoLoginsFile, formatDemoLogins, saveDemoLogins, stackSecret } from './stack/console-auth.ts';
import type { RunningServices } from './stack/services.ts';
import { onShutdownSignal } from './stack/signals.ts';
import { Supervisor } from './stack/supervisor.ts';

/** `npm start`: the whole local stack (Postgres, Kafka, Temporal, worker, console) in one terminal; Ctrl-C stops it. */
async function main(): Promise<void> {
  const started = Date.now();
  console.log('DashOps: starting the local stack');
  const lock = StackLock.acquire(path.join(dataRoot, 'dashops.lock'), 'npm start');
  const supervisor = new Supervisor();
  let services: RunningServices | undefined;
  let stopping: Promise<void> | undefined;

  const shutdown = (reason: string, exitCode: number) => {
    stopping ??= (async () => {
      console.log(`\nDashOps: ${reason}; stopping everything…`);
      await supervisor.stopAll();
      await services?.stop();
      lock.release();
      console.log('DashOps: stopped.');
      process.exit(exitCode);
    })();
    return stopping;
  };
  onShutdownSignal((signal) => void shutdown(`received ${signal}`, 0));
  supervisor.onUnexpectedExit((name, code) => void shutdown(`${name} exited unexpectedly (code ${code})`, 1));

  try {
    const ports = devPorts();
    const backend = await startBackend(supervisor, {
      dataDir: dataRoot,
      ports,
      persistentTemporal: true,
      withTestServer: false,
      sandboxPortEnvVar: 'PARTNER_SANDBOX_PORT',
      workerMetricsPortEnvVar: 'WORKER_METRICS_PORT',
      onServices: (running) => {
        services = running;
        lock.recordChildren(supervisor.pids);
      },
    });
    lock.recordChildren(supervisor.pids);
    const loginsFile = demoLoginsFile(dataRoot);
    const newLogins = backend.logins.length > 0 ? saveDemoLogins(dataRoot, backend.logins) : null;

    const childEnv = {
      ...process.env,
      ...backend.env,
      AUTH_SECRET: stackSecret(dataRoot, 'AUTH_SECRET'),
      CARD_LINK_API_TOKEN: stackSecret(dataRoot, 'CARD_LINK_API_TOKEN'),
      STREAM_FAULT_DRILLS: process.env.STREAM_FAULT_DRILLS ?? 'on',
    };
    startWorker(supervisor, { env: childEnv, output: 'inherit-prefixed' });
    const consoleUrl = await step(`Console on http://localhost:${ports.console} (first compile can take a minute)`, () =>
      startConsole(supervisor, {
        env: childEnv,
        output: 'inherit-prefixed',
        port: ports.console,
        distDir: '.next',
      }),
    );
    lock.recordChildren(supervisor.pids);
    // A demo nicety: if it fails, the console still runs (say so, and go on).
    await step('Demo card links (first start only)', async () => {
      const [{ startDemoCardLinks }, { db }, { temporal }] = await Promise.all([
        import('../server/card-link/demo-links.ts'),
        import('../server/db/client.ts'),
        import('../server/temporal/client.ts'),
      ]);
      const results = await startDemoCardLinks({ db: db(), temporal: temporal() });
      const started = results.filter((result) => result.result === 'started').length;
      const failed = results.filter((result) => result.result === 'failed');
      for (const failure of failed) console.warn(`  demo card link for ${failure.customerId} failed: ${failure.detail}`);
      console.log(`  demo card links: ${started} started, ${results.length - started - failed.length} already there`);
    }).catch((err: unknown) => console.warn(`  demo card links not started: ${err instanceof Error ? err.message : String(err)}`));

    const urls = { Console: consoleUrl, ...backend.services.urls, ...backend.sandbox.urls };
    const width = Math.max(...Object.keys(urls).map((key) => key.length));
    console.log(`\nDashOps is up in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
    for (const [name, url] of Object.entries(urls)) console.log(`  ${name.padEnd(width)}  ${url}`);
    console.log(`  ${'Logs'.padEnd(width)}  ${path.relative(repoRoot, path.join(dataRoot, 'logs'))}/`);
    if (newLogins) {
      console.log(`\nDemo console logins (one per role; also saved in ${path.relative(repoRoot, newLogins)}):`);
      console.log(formatDemoLogins(backend.logins));
    } else if (fs.existsSync(loginsFile)) {
      console.log(`  ${'Logins'.padEnd(width)}  ${path.relative(repoRoot, loginsFile)}`);
    }
    console.log('Press Ctrl-C to stop.\n');
  } catch (err) {
    if (err instanceof StackSetupError) console.error(`\n${err.message}`);
    else console.error('\nDashOps failed to start:', err);
    await shutdown('startup failed', 1);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof StackSetupError ? `\n${err.message}` : err);
  process.exit(1);
});
