import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildConsole, startBuiltConsole, startWorker } from './stack/app.ts';
import { startBackend } from './stack/backend.ts';
import { testPorts } from './stack/config.ts';
import { saveDemoLogins } from './stack/console-auth.ts';
import { StackLock } from './stack/lock.ts';
import { dataRoot, repoRoot } from './stack/paths.ts';
import { StackSetupError } from './stack/prerequisites.ts';
import { step } from './stack/progress.ts';
import type { RunningServices } from './stack/services.ts';
import { onShutdownSignal } from './stack/signals.ts';
import { Supervisor } from './stack/supervisor.ts';

/**
 * `npm test`: typecheck, lint, unit tests, then integration and end-to-end tests against real Postgres, Kafka
 * and Temporal that this script starts on test-only ports and data dirs, and always tears down.
 */
const testDir = path.join(dataRoot, 'test');
const reportDir = path.join(testDir, 'reports');
/** Kept between runs (gitignored) so the console's production build is incremental. */
const TEST_NEXT_DIST_DIR = '.next-test';
const bin = (name: string) => path.join(repoRoot, 'node_modules', '.bin', name);

interface Phase {
  name: string;
  ok: boolean;
  passed: number;
  failed: number;
  seconds: number;
  /** Failed tests' names and first error line, repeated in the summary: a long log is often cut before them. */
  failures?: string[];
}
const phases: Phase[] = [];

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return new Promise((resolve) => {
    const proc = spawn(command, args, { cwd: repoRoot, env, stdio: 'inherit' });
    proc.on('error', () => resolve(false));
    proc.on('exit', (code) => resolve(code === 0));
  });
}

interface Counts {
  passed: number;
  failed: number;
  failures?: string[];
}

async function phase(name: string, work: () => Promise<boolean>, counts?: () => Counts) {
  console.log(`\n━━ ${name}`);
  const started = Date.now();
  const ok = await work().catch((err: unknown) => {
    console.error(err instanceof StackSetupError ? err.message : err);
    return false;
  });
  const { passed, failed, failures } = counts?.() ?? { passed: 0, failed: ok ? 0 : 1 };
  phases.push({ name, ok, passed, failed: ok ? failed : Math.max(failed, 1), seconds: (Date.now() - started) / 1000, failures });
}

const firstLine = (message: string | undefined) => (message ?? '').replace(/\x1b\[[0-9;]*m/g, '').trim().split('\n')[0]?.slice(0, 300) ?? '';

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults?: {
    name: string;
    status: string;
    message?: string;
    assertionResults?: { fullName: string; status: string; failureMessages?: string[] }[];
  }[];
}

function vitestCounts(file: string) {
  return (): Counts => {
    try {
      const report = JSON.parse(fs.readFileSync(file, 'utf8')) as VitestReport;
      const failures: string[] = [];
      for (const result of report.testResults ?? []) {
        const where = path.relative(repoRoot, result.name);
        const failedTests = (result.assertionResults ?? []).filter((t) => t.status === 'failed');
        for (const t of failedTests) failures.push(`${where} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
        if (failedTests.length === 0 && result.status === 'failed') failures.push(`${where}: ${firstLine(result.message)}`);
      }
      return { passed: report.numPassedTests, failed: report.numFailedTests, failures };
    } catch {
      return { passed: 0, failed: 1 };
    }
  };
}

interface PlaywrightSuite {
  title: string;
  file?: string;
  suites?: PlaywrightSuite[];
  specs?: { title: string; file: string; tests: { status: string; results: { error?: { message?: string } }[] }[] }[];
}

function playwrightFailures(suites: PlaywrightSuite[] = []): string[] {
  return suites.flatMap((suite) => [
    ...(suite.specs ?? []).flatMap((spec) =>
      spec.tests
        .filter((t) => t.status === 'unexpected')
        .map((t) => `e2e/${spec.file} > ${spec.title}: ${firstLine(t.results.at(-1)?.error?.message)}`),
    ),
    ...playwrightFailures(suite.suites),
  ]);
}

function playwrightCounts(file: string) {
  return (): Counts => {
    try {
      const { stats, suites } = JSON.parse(fs.readFileSync(file, 'utf8')) as {
        stats: { expected: number; unexpected: number; flaky: number };
        suites?: PlaywrightSuite[];
      };
      return { passed: stats.expected + stats.flaky, failed: stats.unexpected, failures: playwrightFailures(suites) };
    } catch {
      return { passed: 0, failed: 1 };
    }
  };
}

const vitest = (project: string, env?: NodeJS.ProcessEnv) => {
  const out = path.join(reportDir, `vitest-${project}.json`);
  return {
    work: () => run(bin('vitest'), ['run', '--project', project, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], env),
    counts: vitestCounts(out),
  };
};

async function main(): Promise<number> {
  const lock = StackLock.acquire(path.join(dataRoot, 'test.lock'), 'npm test');
  const supervisor = new Supervisor();
  let services: RunningServices | undefined;
  const teardown = async () => {
    await supervisor.stopAll();
    await services?.stop();
    lock.release();
  };
  onShutdownSignal((signal) => {
    console.error(`\nnpm test: received ${signal}; tearing down`);
    void teardown().finally(() => process.exit(130));
  });

  try {
    // Each run starts from empty databases and topics: no state leaks between runs.
    fs.rmSync(testDir, { recursive: true, force: true });
    // Route types the test console generated last run: tsconfig includes them, and stale ones fail tsc when routes change.
    for (const dir of ['types', 'dev/types']) fs.rmSync(path.join(repoRoot, TEST_NEXT_DIST_DIR, dir), { recursive: true, force: true });
    fs.mkdirSync(reportDir, { recursive: true });

    await phase('Typecheck', () => run(bin('tsc'), ['--noEmit']));
    await phase('Lint', () => run(bin('eslint'), ['--max-warnings=0', '.']));
    const unit = vitest('unit');
    await phase('Unit tests', unit.work, unit.counts);

    const ports = testPorts();
    console.log('\n━━ Test services (test-only ports and data dirs)');
    const backend = await startBackend(supervisor, {
      dataDir: testDir,
      ports,
      persistentTemporal: false,
      withTestServer: true,
      sandboxPortEnvVar: 'TEST_PARTNER_SANDBOX_PORT',
      workerMetricsPortEnvVar: 'TEST_WORKER_METRICS_PORT',
      onServices: (running) => {
        services = running;
        lock.recordChildren(supervisor.pids);
      },
    });
    lock.recordChildren(supervisor.pids);
    const env = {
      ...process.env,
      ...backend.env,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      AUTH_SECRET: randomBytes(48).toString('base64url'),
      CARD_LINK_API_TOKEN: randomBytes(24).toString('base64url'),
      STREAM_FAULT_DRILLS: 'on',
      // Playwright's journeys sign in with these (fresh random passwords each run).
      E2E_LOGINS_FILE: saveDemoLogins(testDir, backend.logins),
    };

    const integration = vitest('integration', env);
    await phase('Integration tests (real Postgres, Kafka, Temporal)', integration.work, integration.counts);

    const playwrightReport = path.join(reportDir, 'playwright.json');
    await phase(
      'End-to-end tests (Chromium)',
      async () => {
        const logs = path.join(testDir, 'logs');
        startWorker(supervisor, { env, output: path.join(logs, 'worker.log') });
        // A production build, not `next dev`: no on-demand compiles racing the browser on a 2-core CI machine, and no
        // dev file watcher (which rebuilt, and reloaded the page, on every write to the console's own log file).
        await step(`Console production build → ${TEST_NEXT_DIST_DIR} (log in ${path.relative(repoRoot, logs)}/next-build.log)`, () =>
          buildConsole(supervisor, { distDir: TEST_NEXT_DIST_DIR, env, logDir: logs }),
        );
        const baseUrl = await step(`Console on port ${ports.console} (logs in ${path.relative(repoRoot, logs)}/)`, () =>
          startBuiltConsole(supervisor, { distDir: TEST_NEXT_DIST_DIR, env, port: ports.console, logDir: logs }),
        );
        lock.recordChildren(supervisor.pids);
        return run(bin('playwright'), ['test', '--reporter=list,json'], {
          ...env,
          E2E_BASE_URL: baseUrl,
          PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightReport,
        });
      },
      playwrightCounts(playwrightReport),
    );
  } catch (err) {
    console.error(err instanceof StackSetupError ? `\n${err.message}` : err);
    phases.push({ name: 'Test services', ok: false, passed: 0, failed: 1, seconds: 0 });
  } finally {
    await teardown();
  }

  console.log('\n━━ Summary');
  for (const p of phases) {
    console.log(`  ${p.ok ? '✓' : '✗'} ${p.name.padEnd(52)} ${p.passed} passed, ${p.failed} failed  (${p.seconds.toFixed(1)} s)`);
    for (const failure of p.failures ?? []) console.log(`      ✗ ${failure}`);
  }
  const passed = phases.reduce((sum, p) => sum + p.passed, 0);
  const failed = phases.reduce((sum, p) => sum + p.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return phases.every((p) => p.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof StackSetupError ? `\n${err.message}` : err);
    process.exit(1);
  },
);
