import fs from 'node:fs';
import path from 'node:path';
import { startBackend } from './stack/backend.ts';
import { StackLock } from './stack/lock.ts';
import { dataRoot, repoRoot } from './stack/paths.ts';
import { StackSetupError } from './stack/prerequisites.ts';
import type { RunningServices } from './stack/services.ts';
import { onShutdownSignal } from './stack/signals.ts';
import { Supervisor } from './stack/supervisor.ts';

/**
 * `npm run test:stack`: the integration tests' services (Postgres, Kafka, Temporal, the time-skipping test server
 * and the partner sandbox) kept running on their own ports and data dir, so one test file can be re-run in seconds:
 *   npm run test:one -- worker/processor/kafka-processor.integration.test.ts
 * Its ports differ from `npm start`'s and `npm test`'s, so all three can run at once. Ctrl-C stops it.
 */
const dataDir = path.join(dataRoot, 'test-stack');
export const TEST_STACK_ENV_FILE = path.join(dataDir, 'env.json');

async function main(): Promise<void> {
  const lock = StackLock.acquire(path.join(dataRoot, 'test-stack.lock'), 'npm run test:stack');
  const supervisor = new Supervisor();
  let services: RunningServices | undefined;
  const stop = async (code: number) => {
    await supervisor.stopAll();
    await services?.stop();
    fs.rmSync(TEST_STACK_ENV_FILE, { force: true });
    lock.release();
    process.exit(code);
  };
  onShutdownSignal(() => void stop(0));
  supervisor.onUnexpectedExit((name, code) => {
    console.error(`test:stack: ${name} exited unexpectedly (code ${code})`);
    void stop(1);
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
  try {
    const backend = await startBackend(supervisor, {
      dataDir,
      ports: { console: 3200, postgres: 56433, kafka: 56092, kafkaController: 56093, temporal: 56233, temporalUi: undefined, sandbox: 4210 },
      persistentTemporal: false,
      withTestServer: true,
      sandboxPortEnvVar: 'PARTNER_SANDBOX_PORT',
      workerMetricsPortEnvVar: 'WORKER_METRICS_PORT',
      onServices: (running) => {
        services = running;
        lock.recordChildren(supervisor.pids);
      },
    });
    lock.recordChildren(supervisor.pids);
    fs.writeFileSync(TEST_STACK_ENV_FILE, JSON.stringify({ ...backend.env, STREAM_FAULT_DRILLS: 'on', LOG_LEVEL: 'warn' }, null, 2));
    console.log(`test:stack: up; env in ${path.relative(repoRoot, TEST_STACK_ENV_FILE)}. Run one file with: npm run test:one -- <file>`);
  } catch (err) {
    console.error(err instanceof StackSetupError ? err.message : err);
    await stop(1);
  }
}

void main();
