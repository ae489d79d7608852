import fs from 'node:fs';
import path from 'node:path';
import { ensureConsoleBuild, startBuiltConsole, startConsole, startWorker, workerReady } from './stack/app.ts';
import { startBackend } from './stack/backend.ts';
import { devPorts } from './stack/config.ts';
import { StackLock } from './stack/lock.ts';
import { dataRoot, repoRoot } from './stack/paths.ts';
import { assertPortsFree } from './stack/ports.ts';
import { StackSetupError } from './stack/prerequisites.ts';
import { step } from './stack/progress.ts';
import { demoLoginsFile, formatDemoLogins, saveDemoLogins, stackSecret } from './stack/console-auth.ts';
import type { RunningServices } from './stack/services.ts';
import { onShutdownSignal } from './stack/signals.ts';
import { Supervisor } from './stack/supervisor.ts';

/**
 * `npm start`: the whole local stack (Postgres, Kafka, Temporal, worker, console) in one terminal; Ctrl-C stops it.
 * The console is a production build (`next build`, redone only when its sources changed, then `next start`);
 * `npm run dev` (`--dev`) runs `next dev` instead. The terminal gets the progress list and the summary; the
 * services', worker's and console's own output goes to .data/logs/, or to the terminal with LOG_LEVEL=debug.
 */
const devMode = process.argv.includes('--dev');
const verbose = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace';
const logDir = path.join(dataRoot, 'logs');
const relative = (file: string) => path.relative(repoRoot, file);

/** Where a child's output goes: its own log (the previous run's kept as `<name>.previous.log`), or the terminal. */
function outputOf(name: string): string {
  if (verbose) return 'inherit-prefixed';
  const file = path.join(logDir, `${name}.log`);
  fs.mkdirSync(logDir, { recursive: true });
  if (fs.existsSync(file)) fs.renameSync(file, path.join(logDir, `${name}.previous.log`));
  return file;
}

function errorMessage(err: unknown): string {
  if (err instanceof StackSetupError) return err.message;
  if (verbose) return err instanceof Error ? (err.stack ?? err.message) : String(err);
  return `${err instanceof Error ? err.message : String(err)} (LOG_LEVEL=debug npm start shows more)`;
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`DashOps: starting the local stack${devMode ? ' (development: next dev)' : ''}`);
  const lock = StackLock.acquire(path.join(dataRoot, 'dashops.lock'), devMode ? 'npm run dev' : 'npm start');
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
  supervisor.onUnexpectedExit((name, code) => {
    const log = path.join(logDir, `${name}.log`);
    const where = !verbose && fs.existsSync(log) ? ` (its log: ${relative(log)})` : '';
    void shutdown(`${name} exited unexpectedly (code ${code})${where}`, 1);
  });

  try {
    const ports = devPorts();
    await assertPortsFree([{ port: ports.console, what: 'console', envVar: 'PORT' }]);
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
    const workerOutput = outputOf('worker');
    const worker = startWorker(supervisor, { env: childEnv, output: workerOutput });
    lock.recordChildren(supervisor.pids);
    const logHint = verbose ? 'see its output above' : `log: ${relative(workerOutput)}`;
    const workerUp = step(`Worker (${logHint})`, () => workerReady(worker, { logHint }));

    const consoleOutput = outputOf('console');
    const consoleLog = verbose ? 'its output above' : relative(consoleOutput);
    const consoleUp = devMode
      ? step(`Console (next dev) on http://localhost:${ports.console} (log: ${consoleLog})`, () =>
          startConsole(supervisor, { env: childEnv, output: consoleOutput, port: ports.console, distDir: '.next' }),
        )
      : (async () => {
          const build = await ensureConsoleBuild(supervisor, { distDir: '.next', env: childEnv, logDir });
          if (!build.build) console.log(`  ✓ Console build in .next is current (built ${build.builtAt}; sources unchanged)`);
          return step(`Console on http://localhost:${ports.console} (log: ${consoleLog})`, async () => {
            await startBuiltConsole(supervisor, { distDir: '.next', env: childEnv, port: ports.console, logDir, hostname: '0.0.0.0', output: consoleOutput });
            return `http://localhost:${ports.console}`;
          });
        })();
    const [consoleUrl] = await Promise.all([consoleUp, workerUp]);
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
    console.log(`  ${'Logs'.padEnd(width)}  ${relative(logDir)}/${verbose ? ' (services only: LOG_LEVEL=debug shows the worker and console here)' : ''}`);
    if (newLogins) {
      console.log(`\nDemo console logins (one per role; also saved in ${relative(newLogins)}):`);
      console.log(formatDemoLogins(backend.logins));
    } else if (fs.existsSync(loginsFile)) {
      console.log(`  ${'Logins'.padEnd(width)}  ${relative(loginsFile)}`);
    }
    console.log('Press Ctrl-C to stop.\n');
  } catch (err) {
    console.error(`\n${errorMessage(err)}`);
    await shutdown('startup failed', 1);
  }
}

main().catch((err: unknown) => {
  console.error(`\n${errorMessage(err)}`);
  process.exit(1);
});
