import fs from 'node:fs';
import type { RunningServices } from './services.ts';
import { onShutdownSignal } from './signals.ts';
import { Supervisor } from './supervisor.ts';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Nearest-rank percentiles, rounded to 0.1 ms. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN) * 10) / 10;
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** Signs in through Auth.js's credentials endpoint, as the login form does, and returns the session cookie header. */
export async function signInOverHttp(baseUrl: string, username: string, password: string): Promise<string> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = csrfRes.headers.getSetCookie().map((cookie) => cookie.split(';')[0]).join('; ');
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ csrfToken, username, password, callbackUrl: '/' }),
  });
  await res.body?.cancel();
  const session = res.headers.getSetCookie().find((cookie) => cookie.startsWith('authjs.session-token='));
  if (!session) throw new Error(`signing in as ${username} failed (HTTP ${res.status}, no session cookie)`);
  return session.split(';')[0]!;
}

/** What a self-contained bench owns, and the one teardown that releases it (also on Ctrl-C). */
export interface BenchRun {
  supervisor: Supervisor;
  /** Run last-added first by teardown, before the supervised children and the services stop. */
  cleanups: (() => Promise<void>)[];
  /** Set once started, so teardown stops them too. */
  services?: RunningServices;
  /** Idempotent: the error path, the success path and a signal may all ask. */
  teardown: () => Promise<void>;
}

/**
 * Starts a bench on its own: the configured external services are forgotten (a bench measures the stack it
 * starts), its data dir is emptied, and Ctrl-C tears everything down before exiting 130.
 */
export function startBenchRun(name: string, dataDir: string): BenchRun {
  for (const variable of ['DATABASE_URL', 'KAFKA_BROKERS', 'TEMPORAL_ADDRESS', 'TEMPORAL_TEST_SERVER_PATH', 'PARTNER_SANDBOX_URL']) delete process.env[variable];
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  let tornDown: Promise<void> | undefined;
  const run: BenchRun = {
    supervisor: new Supervisor(),
    cleanups: [],
    teardown: () =>
      (tornDown ??= (async () => {
        console.log(`${name}: tearing down`);
        for (const cleanup of run.cleanups.reverse()) await cleanup().catch(() => undefined);
        await run.supervisor.stopAll();
        await run.services?.stop();
      })()),
  };
  onShutdownSignal(() => void run.teardown().finally(() => process.exit(130)));
  return run;
}
