import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchAttributes } from '../../server/temporal/contract.ts';
import { createDiagnosticsActivities } from '../testing/diagnostics-activities.ts';
import { pingWorkflow, sleepWorkflow } from '../testing/diagnostics-workflows.ts';
import { requiredEnv, startTimeSkippingEnv } from '../testing/temporal-test-env.ts';

const workflowsPath = fileURLToPath(new URL('../testing/workflows.ts', import.meta.url));
const taskQueueFor = (title: string) => `test-${title.replace(/\W+/g, '-').toLowerCase()}-${randomUUID().slice(0, 8)}`;

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath, logger: undefined });
});

describe('on the Temporal dev server', () => {
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    const address = requiredEnv('TEMPORAL_ADDRESS');
    nativeConnection = await NativeConnection.connect({ address });
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace: 'default' });
  });
  afterAll(async () => {
    await connection?.close();
    await nativeConnection?.close();
  });

  it('runs a workflow to its result and lists it by the CustomerId search attribute', async () => {
    const taskQueue = taskQueueFor('ping');
    const customerId = `cust-${randomUUID()}`;
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: createDiagnosticsActivities({ workerId: 'integration-test' }),
    });

    const result = await worker.runUntil(async () => {
      const handle = await client.workflow.start(pingWorkflow, {
        taskQueue,
        workflowId: `ping-${customerId}`,
        args: [{ message: 'hello' }],
        typedSearchAttributes: [{ key: searchAttributes.customerId, value: customerId }],
      });
      return handle.result();
    });
    expect(result).toEqual({ reply: 'pong: hello', workerId: 'integration-test' });

    // Visibility is eventually consistent: poll until the listing shows the run.
    const deadline = Date.now() + 20_000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      ids = [];
      for await (const execution of client.workflow.list({ query: `CustomerId = '${customerId}'` })) {
        ids.push(execution.workflowId);
      }
      if (ids.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(ids).toEqual([`ping-${customerId}`]);
  });
});

describe('on the time-skipping test server', () => {
  let testEnv: TestWorkflowEnvironment;

  beforeAll(async () => {
    testEnv = await startTimeSkippingEnv();
  });
  afterAll(async () => {
    await testEnv?.teardown();
  });

  it('sleeps a simulated day in moments of wall time', async () => {
    const taskQueue = taskQueueFor('sleep a day');
    const worker = await Worker.create({
      connection: testEnv.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: createDiagnosticsActivities({ workerId: 'integration-test' }),
    });
    const wallStart = Date.now();
    const result = await worker.runUntil(
      testEnv.client.workflow.execute(sleepWorkflow, { taskQueue, workflowId: taskQueue, args: ['1 day'] }),
    );
    expect(result.sleptMs).toBeGreaterThanOrEqual(86_400_000);
    expect(Date.now() - wallStart).toBeLessThan(30_000);
  });
});
