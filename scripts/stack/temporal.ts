import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toolCacheDir } from './paths.ts';
import { requireTools, StackSetupError } from './prerequisites.ts';
import { runLogged, step } from './progress.ts';
import type { ServiceHandle } from './service.ts';
import { waitFor, type Supervisor } from './supervisor.ts';

// Later tags carry `replace` directives in go.mod, which `go install pkg@version` rejects.
const CLI_VERSION = 'v1.5.1';

/** Custom search attributes of the card-link platform; the dev server only applies these at namespace creation. */
export const SEARCH_ATTRIBUTES = { CustomerId: 'Keyword', PartnerId: 'Keyword', LinkStatus: 'Keyword' } as const;

/** Returns a `temporal` CLI: one already on PATH, else one built once with `go install` into the tool cache. */
export async function ensureTemporalCli(): Promise<string> {
  if (spawnSync('temporal', ['--version'], { stdio: 'ignore' }).status === 0) return 'temporal';
  const dir = path.join(toolCacheDir, `temporal-cli-${CLI_VERSION.slice(1)}`);
  const binary = path.join(dir, 'temporal');
  if (fs.existsSync(binary)) return binary;

  requireTools(['go'], 'Temporal server', 'TEMPORAL_ADDRESS');
  const staging = `${dir}.tmp-${process.pid}`;
  fs.mkdirSync(staging, { recursive: true });
  await step(`Building the Temporal CLI ${CLI_VERSION} with go install (first run only; a few minutes)`, () =>
    runLogged('go', ['install', `github.com/temporalio/cli/cmd/temporal@${CLI_VERSION}`], {
      logFile: path.join(toolCacheDir, 'logs', 'temporal-cli-build.log'),
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: staging },
    }),
  );
  try {
    fs.renameSync(staging, dir);
  } catch {
    // Another process finished the same build first; theirs is as good as ours.
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return binary;
}

/**
 * Dynamic config for the dev server (one process, one history shard):
 * - transferProcessorMaxPollRPS: history reads its transfer queue (where a new workflow task waits to be handed to
 *   matching) at most 20 times a second per shard by default: every workflow start waited up to 50 ms for its first
 *   workflow task, ~25 ms on average (an empty workflow's Update-With-Start: 51 → 36 ms p50, see BENCHMARKS.md).
 *   The queue is still read only when notified of new tasks.
 * - timerProcessorMaxTimeShift: a timer due sooner than this after the timer queue's last read is pushed back to
 *   it, so short timers (a retry backoff, a batch's max wait) fired up to 1 s late; with one shard on one host
 *   there is no clock skew for the margin to cover.
 * - enableActivityEagerExecution: an activity scheduled by a workflow task comes back with that task's
 *   completion when the worker has a free slot, instead of a second trip through matching (off by default in
 *   the server; the SDK asks for it). Saves a stream batch one dispatch per change.
 * - forceSearchAttributesCacheRefreshOnRead: the CLI turns it on so a search attribute is usable the moment it is
 *   created; then every start and upsert carrying one re-reads cluster metadata from SQLite. Ours are created with
 *   the namespace (`--search-attribute`), so the server's normal cache (refreshed every 60 s) serves them; only a
 *   data dir from a build that lacked one waits up to a minute after its first start to use it. A card link:
 *   ~6 ms less p50, ~6 CPU-ms less (interleaved A/B in BENCHMARKS.md).
 */
export const DYNAMIC_CONFIG = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.timerProcessorMaxTimeShift': '10ms',
  'system.enableActivityEagerExecution': true,
  'system.forceSearchAttributesCacheRefreshOnRead': false,
} as const;

export interface TemporalOptions {
  cli: string;
  port: number;
  /** Omit to run headless (tests). */
  uiPort?: number;
  /** Omit for an in-memory server (tests); set to keep workflows across restarts. */
  dbFile?: string;
  logFile: string;
}

/** Runs `temporal server start-dev` and returns once its frontend answers and the search attributes exist. */
export async function startTemporal(supervisor: Supervisor, options: TemporalOptions): Promise<ServiceHandle> {
  const { cli, port, uiPort, dbFile, logFile } = options;
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
  if (dbFile) {
    fs.mkdirSync(path.dirname(dbFile), { recursive: true });
    // WAL with NORMAL sync: every workflow task is several SQLite writes, and full fsyncs made each ~10x slower.
    args.push('--db-filename', dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [key, value] of Object.entries(DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const proc = supervisor.spawn('temporal', cli, args, { output: logFile });
  let exited = false;
  proc.on('exit', () => (exited = true));
  const cliArgs = ['--address', address, '--namespace', 'default'];

  try {
    await waitFor(
      `Temporal on ${address}`,
      async () => {
        if (exited) throw new StackSetupError(`temporal server exited during startup:\n${tail(logFile)}`);
        return spawnSync(cli, ['operator', 'cluster', 'health', ...cliArgs], { stdio: 'ignore' }).status === 0;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    ensureSearchAttributes(cli, cliArgs);
    if (uiPort !== undefined) {
      await waitFor(`Temporal Web UI on ${uiPort}`, async () => (await fetch(`http://127.0.0.1:${uiPort}/`)).ok, {
        timeoutMs: 30_000,
      });
    }
  } catch (err) {
    await supervisor.stopChild(proc);
    throw err;
  }

  return {
    name: 'temporal',
    env: { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default' },
    urls: uiPort === undefined ? { Temporal: address } : { Temporal: address, 'Temporal UI': `http://localhost:${uiPort}` },
    stop: () => supervisor.stopChild(proc),
  };
}

/** On an existing database the `--search-attribute` flags are ignored, so add whichever are missing. */
function ensureSearchAttributes(cli: string, cliArgs: string[]): void {
  const listed = spawnSync(cli, ['operator', 'search-attribute', 'list', ...cliArgs, '--output', 'json'], {
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new StackSetupError(`Could not list Temporal search attributes: ${listed.stderr}`);
  const existing = listed.stdout;
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
    if (existing.includes(`"${name}"`)) continue;
    const created = spawnSync(
      cli,
      ['operator', 'search-attribute', 'create', '--name', name, '--type', type, ...cliArgs],
      { encoding: 'utf8' },
    );
    if (created.status !== 0) throw new StackSetupError(`Could not create search attribute ${name}: ${created.stderr}`);
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
