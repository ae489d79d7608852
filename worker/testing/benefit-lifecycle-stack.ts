import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { decisionUpdate, type CardFacts, type CardLinkInput, type LinkOutcome } from '../../server/temporal/contract.ts';
import { db } from '../../server/db/client.ts';
import { createCardLinkActivities, partnerHttpFor } from '../activities/card-link.ts';
import type { PartnerSandbox } from '../partner-sandbox/server.ts';
import { startSandboxOnFreePort } from '../partner-sandbox/testing.ts';
import { cardLinkWorkflow } from '../workflows/index.ts';
import { ensureTestPartners, TEST_PARTNER_CARDS, type TestPartner } from './partner-fixtures.ts';
import { registerSearchAttributes, requiredEnv, startTimeSkippingEnv } from './temporal-test-env.ts';

/**
 * What the benefit-lifecycle tests share: a time-skipping test server of the file's own, the real card-link
 * activities on Postgres, and the partner sandbox over HTTP. One worker for the whole file: a workflow left waiting
 * by an earlier test must still find a worker when a later test skips time past it, or the test server never
 * finishes skipping.
 */
export interface BenefitLifecycleStack {
  testEnv: TestWorkflowEnvironment;
  /** A client whose waits do not let the test server skip time (testEnv.client's result() does). */
  plain: Client;
  sandbox: PartnerSandbox;
  taskQueue: string;
  /** Start, then the decision update (the Java test server has no Update-With-Start). Each call is a new evaluation. */
  link(customerId: string, card: CardFacts): Promise<LinkOutcome>;
  stop(): Promise<void>;
}

const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export async function startBenefitLifecycleStack(): Promise<BenefitLifecycleStack> {
  requiredEnv('DATABASE_URL');
  const taskQueue = `test-benefit-lifecycle-${randomUUID().slice(0, 8)}`;
  const testEnv = await startTimeSkippingEnv();
  const [bundle, sandbox] = await Promise.all([
    bundleWorkflowCode({ workflowsPath, logger: undefined }),
    // Multi-matches stay pending: no webhook fires on its own.
    startSandboxOnFreePort({ consoleUrl: 'http://127.0.0.1:9', reconcileAfterMs: 60 * 60 * 1000 }),
  ]);
  const plain = new Client({ connection: testEnv.connection, namespace: testEnv.namespace ?? 'default' });
  await registerSearchAttributes(testEnv);
  await ensureTestPartners();
  const worker = await Worker.create({
    connection: testEnv.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createCardLinkActivities({ db: db(), partnerHttp: partnerHttpFor(sandbox.url) }),
  });
  const running = worker.run();

  return {
    testEnv,
    plain,
    sandbox,
    taskQueue,
    async link(customerId, card) {
      const input: CardLinkInput = { customerId, card, requestedBy: 'integration-test' };
      const handle = await testEnv.client.workflow.start(cardLinkWorkflow, { workflowId: `card-link:${customerId}:${card.fingerprint}.t${randomUUID().slice(0, 6)}`, taskQueue, args: [input] });
      // Not handle.result(): waiting on a result lets the test server skip time.
      return handle.executeUpdate(decisionUpdate);
    },
    async stop() {
      worker.shutdown();
      await running;
      await sandbox.stop();
      await testEnv.teardown();
    },
  };
}

export async function newCustomer(): Promise<string> {
  const customerId = `it-life-${randomUUID().slice(0, 12)}`;
  await db().customer.create({ data: { customerId, name: 'Lifecycle Test', email: `${customerId}@example.com`, country: 'CA' } });
  return customerId;
}

/** A stored card the partner issued (its BIN), unique to the customer. */
export async function storedCard(customerId: string, partner: TestPartner): Promise<CardFacts> {
  const suffix = randomUUID().slice(0, 8);
  const card: CardFacts = { paymentMethodId: `pm_${suffix}`, fingerprint: `fp_${suffix}${customerId.slice(-6)}`, last4: '4242', expMonth: 12, expYear: 2099, ...TEST_PARTNER_CARDS[partner] };
  await db().paymentMethod.create({ data: { ...card, customerId } });
  return card;
}

export const subscriptionsOf = (customerId: string) => db().dashPassSubscription.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } });
export const linkOf = (linkId: string) => db().membershipLink.findUniqueOrThrow({ where: { linkId } });
