import path from 'node:path';
import { repoRoot } from './paths.ts';
import { assertPortsFree } from './ports.ts';
import type { ServiceHandle } from './service.ts';
import { waitFor, type Supervisor } from './supervisor.ts';

export interface PartnerSandboxServiceOptions {
  port: number;
  /** Env var that moves the port, named when it is taken. */
  portEnvVar: string;
  /** The console of this stack: where partner webhooks go. */
  consoleUrl: string;
  logFile: string;
  reconcileAfterMs?: number;
  /** An already running sandbox (PARTNER_SANDBOX_URL); then nothing is started. */
  externalUrl?: string;
}

/** The partner sandbox as a supervised child; resolves once it answers its health check. */
export async function startPartnerSandboxService(supervisor: Supervisor, options: PartnerSandboxServiceOptions): Promise<ServiceHandle> {
  const name = 'partner sandbox';
  if (options.externalUrl) {
    return { name, env: { PARTNER_SANDBOX_URL: options.externalUrl }, stop: async () => undefined };
  }
  await assertPortsFree([{ port: options.port, what: 'partner sandbox', envVar: options.portEnvVar }]);
  const proc = supervisor.spawn('partner-sandbox', process.execPath, ['--import', 'tsx', path.join(repoRoot, 'worker', 'partner-sandbox', 'main.ts')], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PARTNER_SANDBOX_PORT: String(options.port),
      PARTNER_SANDBOX_HOST: '127.0.0.1',
      CONSOLE_URL: options.consoleUrl,
      ...(options.reconcileAfterMs === undefined ? {} : { PARTNER_SANDBOX_RECONCILE_AFTER_MS: String(options.reconcileAfterMs) }),
    },
    output: options.logFile,
  });
  let exited = false;
  proc.on('exit', () => (exited = true));
  const url = `http://127.0.0.1:${options.port}`;
  await waitFor(
    `the partner sandbox on ${url}`,
    async () => {
      if (exited) throw new Error(`the partner sandbox exited during startup (see ${options.logFile})`);
      return (await fetch(`${url}/_control/health`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return {
    name,
    env: { PARTNER_SANDBOX_URL: url },
    urls: { 'Partner sandbox': url },
    stop: () => supervisor.stopChild(proc),
  };
}
