import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { createCardLinkActivities, partnerHttpFor } from '../activities/card-link.ts';
import type { PartnerSandbox } from '../partner-sandbox/server.ts';
import { startSandboxOnFreePort } from '../partner-sandbox/testing.ts';
import { db } from '../../server/db/client.ts';
import { env } from '../../server/env.ts';
import { cleanupAll } from '../../server/testing/cleanup.ts';
import type { LinkCardDeps } from '../../server/card-link/link-card.ts';

/**
 * What the card-link integration tests share: a partner sandbox in-process, a Temporal worker for the card-link
 * workflows on a task queue of their own, and a client. Needs DATABASE_URL and TEMPORAL_ADDRESS (`npm test`).
 */
export interface CardLinkTestStack {
  client: Client;
  taskQueue: string;
  sandbox: PartnerSandbox;
  linkDeps: LinkCardDeps;
  /** A new customer with a unique id. */
  customer(country?: string, idPart?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startCardLinkTestStack(label: string): Promise<CardLinkTestStack> {
  // env() names whatever is missing (DATABASE_URL, TEMPORAL_ADDRESS…): run integration tests through `npm test`.
  const { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace } = env();
  const taskQueue = `test-${label}-${randomUUID().slice(0, 8)}`;
  // Multi-matches stay pending until a test answers them: no webhook fires on its own.
  const sandbox = await startSandboxOnFreePort({ consoleUrl: 'http://127.0.0.1:9', reconcileAfterMs: 60 * 60 * 1000 });
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    logger: undefined,
  });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle,
    activities: createCardLinkActivities({ db: db(), partnerHttp: partnerHttpFor(sandbox.url) }),
  });
  const running = worker.run();

  return {
    client,
    taskQueue,
    sandbox,
    linkDeps: { db: db(), temporal: client, decisionTimeoutMs: 20_000, taskQueue },
    async customer(country = 'US', idPart = '') {
      const customerId = `it-${label}-${idPart}${randomUUID().slice(0, 12)}`;
      await db().customer.create({ data: { customerId, name: 'Integration Test', email: `${customerId}@example.com`, country } });
      return customerId;
    },
    stop: () =>
      cleanupAll(label, [
        async () => {
          worker.shutdown();
          await running;
        },
        () => nativeConnection.close(),
        () => connection.close(),
        () => sandbox.stop(),
      ]),
  };
}
