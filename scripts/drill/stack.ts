import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { Kafka, logLevel } from 'kafkajs';
import { PrismaClient } from '../../server/db/generated/client.ts';
import { applyMigrations } from '../../server/db/migrate.ts';
import { seedDemoData } from '../../server/db/seed.ts';
import { startWorker } from '../stack/app.ts';
import type { StackPorts } from '../stack/config.ts';
import { repoRoot } from '../stack/paths.ts';
import { step } from '../stack/progress.ts';
import { startServices, type LocalService, type RunningServices } from '../stack/services.ts';
import { waitFor, type Supervisor } from '../stack/supervisor.ts';

/**
 * The stack a fault drill runs on: Postgres, Kafka and Temporal (on a SQLite file, so a restart keeps its
 * workflows) on the drill's own ports and data dir, and the real worker (worker/main.ts) as a child process
 * that can be killed, restarted, or left down. Nothing here reads the caller's DATABASE_URL & co.: every
 * client is built from the services this stack started.
 */

/** The worker's defaults, spelled out because the drill reads the slot and the groups the worker makes. */
export const DRILL_SLOT = 'dashops_cdc';
export const DRILL_GROUP_PREFIX = 'dashops-processor';

/** Settings of the caller's environment that must not leak into the drill's worker. */
const FOREIGN_ENV = [
  'DATABASE_URL',
  'KAFKA_BROKERS',
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TEST_SERVER_PATH',
  'TEMPORAL_UI_URL',
  'PARTNER_SANDBOX_URL',
  'WORKER_METRICS_ADDRESS',
  'CDC_RELAY',
  'CDC_SLOT_NAME',
  'CDC_PUBLICATION_NAME',
  'PROCESSOR_GROUP_PREFIX',
  'STREAM_FAULT_DRILLS',
];

export interface DrillStackOptions {
  dataDir: string;
  ports: Pick<StackPorts, 'postgres' | 'kafka' | 'kafkaController' | 'temporal'>;
  say: (line: string) => void;
}

export interface DrillStack {
  services: RunningServices;
  db: PrismaClient;
  kafka: Kafka;
  worker: DrillWorker;
  /** Restarts a service in place: stop, wait `downMs`, start; resolves once it serves again. */
  bounce(name: LocalService, downMs?: number): Promise<void>;
  /** Stops the worker and closes the drill's own clients; the services stay for the caller's teardown. */
  close(): Promise<void>;
}

export async function startDrillStack(supervisor: Supervisor, { dataDir, ports, say }: DrillStackOptions): Promise<DrillStack> {
  const services = await startServices(supervisor, {
    dataDir,
    ports: { ...ports, console: 0, sandbox: 0, temporalUi: undefined },
    persistentTemporal: true,
    withTestServer: false,
    ignoreExternal: true,
  });
  const databaseUrl = required(services.env, 'DATABASE_URL');
  const brokers = required(services.env, 'KAFKA_BROKERS').split(',');
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
  try {
    await step('Database migrations and demo catalog', async () => {
      await applyMigrations({ connectionString: databaseUrl, migrationsDir: path.join(repoRoot, 'prisma', 'migrations') });
      await seedDemoData(db);
    });
  } catch (err) {
    await db.$disconnect();
    throw err;
  }
  const kafka = new Kafka({ clientId: 'dashops-drill', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 30_000 });

  const workerEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of FOREIGN_ENV) delete workerEnv[name];
  Object.assign(workerEnv, services.env, { LOG_LEVEL: process.env.DRILL_WORKER_LOG_LEVEL ?? 'info' });
  const worker = new DrillWorker(supervisor, {
    env: workerEnv,
    logFile: path.join(dataDir, 'logs', 'worker.log'),
    db,
    kafka,
    say,
  });
  await step('Worker (worker/main.ts): relay streaming, processors consuming', async () => {
    worker.start();
    await worker.ready();
  });

  return {
    services,
    db,
    kafka,
    worker,
    async bounce(name, downMs = 0) {
      say(`  stopping ${name}`);
      await services.stopService(name);
      if (downMs > 0) {
        say(`  ${name} down for ${downMs / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, downMs));
      }
      await services.startService(name);
    },
    async close() {
      await worker.stop();
      await db.$disconnect();
    },
  };
}

function required(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`the drill's services did not provide ${name}`);
  return value;
}

interface DrillWorkerOptions {
  env: NodeJS.ProcessEnv;
  logFile: string;
  db: PrismaClient;
  kafka: Kafka;
  say: (line: string) => void;
}

/**
 * The real worker process. An exit the drill did not cause is counted and the worker is started again a
 * second later, as a process manager would: the drill then shows whether the stream survived the crash.
 */
export class DrillWorker {
  private proc: ChildProcess | undefined;
  private stopping = false;
  /** Exits the drill did not cause, since start. */
  crashes = 0;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly options: DrillWorkerOptions,
  ) {}

  start(): void {
    if (this.proc) throw new Error('the drill worker is already running');
    this.stopping = false;
    const proc = startWorker(this.supervisor, { env: this.options.env, output: this.options.logFile });
    this.proc = proc;
    proc.once('exit', (code, signal) => {
      if (this.proc !== proc) return;
      this.proc = undefined;
      if (this.stopping) return;
      this.crashes += 1;
      this.options.say(`  ! the worker exited on its own (code ${code ?? signal}); restarting it (see ${path.relative(repoRoot, this.options.logFile)})`);
      // Drop the supervisor's record of the dead process; its group is swept once more.
      void this.supervisor.stopChild(proc, 0).then(() => {
        if (!this.stopping && !this.proc) setTimeout(() => !this.stopping && !this.proc && this.start(), 1000);
      });
    });
  }

  /** As `kill -9`: the worker gets no chance to commit offsets, confirm LSNs or leave its consumer groups. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) throw new Error('the drill worker is not running');
    this.stopping = true;
    this.proc = undefined;
    await this.supervisor.killChild(proc);
  }

  /** A clean stop (SIGTERM). */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.stopping = true;
    this.proc = undefined;
    if (proc) await this.supervisor.stopChild(proc, 30_000);
  }

  /** Waits until the relay streams from its slot and both consumer groups have a member. */
  async ready(timeoutMs = 180_000): Promise<void> {
    const admin = this.options.kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        `the worker to stream and consume (see ${path.relative(repoRoot, this.options.logFile)})`,
        async () => {
          if (!this.proc) throw new Error('the worker is not running');
          const [slot] = await this.options.db.$queryRaw<{ active: boolean }[]>`
            SELECT active FROM pg_replication_slots WHERE slot_name = ${DRILL_SLOT}`;
          if (!slot?.active) return false;
          const groupIds = ['inventory_levels', 'inventory_lots'].map((table) => `${DRILL_GROUP_PREFIX}.${table}`);
          const { groups } = await admin.describeGroups(groupIds);
          return groups.every((group) => group.state === 'Stable' && group.members.length > 0);
        },
        { timeoutMs, intervalMs: 500 },
      );
    } finally {
      await admin.disconnect();
    }
  }
}
