import path from 'node:path';
import { externalServices, type StackPorts } from './config.ts';
import { ensureKafka, startKafka } from './kafka.ts';
import { assertPortsFree } from './ports.ts';
import { assertPostgresCanReach, startPostgres } from './postgres.ts';
import { StackSetupError } from './prerequisites.ts';
import { step } from './progress.ts';
import type { ServiceHandle } from './service.ts';
import type { Supervisor } from './supervisor.ts';
import { ensureTemporalTestServer } from './temporal-test-server.ts';
import { ensureTemporalCli, startTemporal } from './temporal.ts';

export interface ServicesOptions {
  dataDir: string;
  ports: StackPorts;
  /** Keep Temporal's state in a SQLite file under dataDir (dev), or in memory (tests). */
  persistentTemporal: boolean;
  /** Also provide the time-skipping test server (tests). */
  withTestServer: boolean;
  /** Start every service here even where DATABASE_URL & co. name external ones (a self-contained drill). */
  ignoreExternal?: boolean;
}

/** The services startServices can run itself; each is its ServiceHandle's name. */
export type LocalService = 'postgres' | 'kafka' | 'temporal';

export interface RunningServices {
  env: Record<string, string>;
  urls: Record<string, string>;
  stop(): Promise<void>;
  /** Stops one local service, leaving its data (fault drills). */
  stopService(name: LocalService): Promise<void>;
  /** Starts a stopped local service again, on the same port and data; resolves once it is ready. */
  startService(name: LocalService): Promise<void>;
}

/**
 * Brings up Postgres, Kafka and Temporal, each only when its env var does not already point at an external one.
 * Tools are fetched or built first (with progress), then the services start in parallel.
 */
export async function startServices(supervisor: Supervisor, options: ServicesOptions): Promise<RunningServices> {
  const { dataDir, ports } = options;
  const external: Partial<ReturnType<typeof externalServices>> = options.ignoreExternal ? {} : externalServices();
  const logDir = path.join(dataDir, 'logs');
  const env: Record<string, string> = {};
  const urls: Record<string, string> = {};

  for (const [name, value] of Object.entries(external)) {
    if (value === undefined) continue;
    env[name] = value;
    console.log(`  • ${name} is set: using that instead of a local service`);
  }

  const portChecks = [];
  if (!external.DATABASE_URL) portChecks.push({ port: ports.postgres, what: 'Postgres', envVar: 'POSTGRES_PORT' });
  if (!external.KAFKA_BROKERS) {
    portChecks.push({ port: ports.kafka, what: 'Kafka', envVar: 'KAFKA_PORT' });
    portChecks.push({ port: ports.kafkaController, what: 'Kafka controller', envVar: 'KAFKA_CONTROLLER_PORT' });
  }
  if (!external.TEMPORAL_ADDRESS) {
    portChecks.push({ port: ports.temporal, what: 'Temporal', envVar: 'TEMPORAL_PORT' });
    if (ports.temporalUi !== undefined) {
      portChecks.push({ port: ports.temporalUi, what: 'Temporal UI', envVar: 'TEMPORAL_UI_PORT' });
    }
  }
  await assertPortsFree(portChecks);

  // Fetch or build every missing tool before starting anything; report all missing prerequisites at once.
  const problems: string[] = [];
  const attempt = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof StackSetupError) problems.push(err.message);
      else throw err;
      return undefined;
    }
  };
  // Before any download: no tool helps a Postgres that cannot reach its own files.
  if (!external.DATABASE_URL) await assertPostgresCanReach(path.join(dataDir, 'postgres'));
  const [, temporalCli, testServerPath] = await Promise.all([
    external.KAFKA_BROKERS ? undefined : attempt(ensureKafka),
    external.TEMPORAL_ADDRESS ? undefined : attempt(ensureTemporalCli),
    options.withTestServer && !external.TEMPORAL_TEST_SERVER_PATH ? attempt(ensureTemporalTestServer) : undefined,
  ]);
  if (problems.length > 0) throw new StackSetupError(problems.join('\n\n'));
  if (testServerPath) env.TEMPORAL_TEST_SERVER_PATH = testServerPath;

  const handles: ServiceHandle[] = [];
  // Kept so that one service can be started again later, exactly as it was started first.
  const launchers = new Map<LocalService, { label: string; launch: () => Promise<ServiceHandle> }>();
  if (!external.DATABASE_URL) {
    launchers.set('postgres', {
      label: `Postgres on 127.0.0.1:${ports.postgres}`,
      launch: () =>
        startPostgres(supervisor, {
          port: ports.postgres,
          dataDir: path.join(dataDir, 'postgres'),
          logFile: path.join(logDir, 'postgres.log'),
          database: 'dashops',
        }),
    });
  }
  if (!external.KAFKA_BROKERS) {
    launchers.set('kafka', {
      label: `Kafka on 127.0.0.1:${ports.kafka}`,
      launch: () =>
        startKafka(supervisor, {
          port: ports.kafka,
          controllerPort: ports.kafkaController,
          dataDir: path.join(dataDir, 'kafka'),
          logFile: path.join(logDir, 'kafka.log'),
        }),
    });
  }
  if (temporalCli) {
    launchers.set('temporal', {
      label: `Temporal on 127.0.0.1:${ports.temporal}`,
      launch: () =>
        startTemporal(supervisor, {
          cli: temporalCli,
          port: ports.temporal,
          uiPort: ports.temporalUi,
          dbFile: options.persistentTemporal ? path.join(dataDir, 'temporal', 'temporal.db') : undefined,
          logFile: path.join(logDir, 'temporal.log'),
        }),
    });
  }
  const starts = [...launchers.values()].map(({ label, launch }) => step(label, launch));

  const stopAll = async () => {
    for (const handle of handles.reverse()) {
      await handle.stop().catch((err: unknown) => console.error(`  ! stopping ${handle.name}: ${String(err)}`));
    }
  };
  const settled = await Promise.allSettled(starts);
  for (const result of settled) if (result.status === 'fulfilled') handles.push(result.value);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) {
    await stopAll();
    throw failed.reason;
  }
  for (const handle of handles) {
    Object.assign(env, handle.env);
    Object.assign(urls, handle.urls);
  }
  const stopService = async (name: LocalService) => {
    const index = handles.findIndex((handle) => handle.name === name);
    if (index < 0) throw new Error(`${name} is not running as a local service`);
    const [handle] = handles.splice(index, 1);
    await handle?.stop();
  };
  const startService = async (name: LocalService) => {
    const launcher = launchers.get(name);
    if (!launcher) throw new Error(`${name} is not a local service here (its env var points at an external one)`);
    if (handles.some((handle) => handle.name === name)) throw new Error(`${name} is already running`);
    handles.push(await step(launcher.label, launcher.launch));
  };
  return { env, urls, stop: stopAll, stopService, startService };
}
