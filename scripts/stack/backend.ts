import path from 'node:path';
import type { DemoLogin } from '../../server/auth/users.ts';
import { externalServices, type StackPorts } from './config.ts';
import { partnerWebhookSecrets } from './console-auth.ts';
import { startPartnerSandboxService } from './partner-sandbox.ts';
import { assertPortsFree } from './ports.ts';
import { step } from './progress.ts';
import type { ServiceHandle } from './service.ts';
import { startServices, type RunningServices, type ServicesOptions } from './services.ts';
import type { Supervisor } from './supervisor.ts';

export interface Backend {
  services: RunningServices;
  sandbox: ServiceHandle;
  /** Demo console logins created by this run (empty when users existed already). */
  logins: DemoLogin[];
  consoleBaseUrl: string;
  /** Everything the worker and console need to reach the services and the sandbox. */
  env: Record<string, string>;
}

/**
 * What `npm start` and `npm test` share: Postgres, Kafka and Temporal, then the partner sandbox beside the
 * migrations and demo data. `onServices` hands the services over as soon as they run, so the caller can
 * tear them down even if a later step fails.
 */
export async function startBackend(
  supervisor: Supervisor,
  options: ServicesOptions & {
    ports: StackPorts;
    sandboxPortEnvVar: string;
    workerMetricsPortEnvVar: string;
    onServices(services: RunningServices): void;
  },
): Promise<Backend> {
  // The worker binds this itself; a taken port is named here, with the variable that moves it, before anything starts.
  const metricsPort = process.env.WORKER_METRICS_ADDRESS ? undefined : options.ports.workerMetrics;
  if (metricsPort !== undefined) await assertPortsFree([{ port: metricsPort, what: 'worker metrics', envVar: options.workerMetricsPortEnvVar }]);
  const workerMetrics = metricsPort === undefined ? process.env.WORKER_METRICS_ADDRESS : `127.0.0.1:${metricsPort}`;
  const services = await startServices(supervisor, options);
  options.onServices(services);
  Object.assign(process.env, services.env);
  // The partner sandbox signs with these and the console verifies with them (both read the env).
  const { partnerRegistry } = await import('../../server/card-link/partners/registry.ts');
  process.env.PARTNER_WEBHOOK_SECRETS = partnerWebhookSecrets(options.dataDir, partnerRegistry.partnerIds);
  // Imported only now: the database module reads DATABASE_URL, which the services just provided.
  const { prepareDatabase } = await import('./database.ts');
  const consoleBaseUrl = `http://localhost:${options.ports.console}`;
  const [sandbox, database] = await Promise.all([
    step(`Partner sandbox on 127.0.0.1:${options.ports.sandbox}`, () =>
      startPartnerSandboxService(supervisor, {
        port: options.ports.sandbox,
        portEnvVar: options.sandboxPortEnvVar,
        consoleUrl: consoleBaseUrl,
        logFile: path.join(options.dataDir, 'logs', 'partner-sandbox.log'),
        externalUrl: externalServices().PARTNER_SANDBOX_URL,
      }),
    ),
    step('Database migrations and demo data', () => prepareDatabase({ demoUsers: true })),
  ]);
  return {
    services,
    sandbox,
    logins: database.logins,
    consoleBaseUrl,
    env: { ...services.env, ...sandbox.env, CONSOLE_URL: consoleBaseUrl, PARTNER_WEBHOOK_SECRETS: process.env.PARTNER_WEBHOOK_SECRETS, ...(workerMetrics ? { WORKER_METRICS_ADDRESS: workerMetrics } : {}) },
  };
}
