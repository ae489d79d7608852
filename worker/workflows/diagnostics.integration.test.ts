import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchAttributes } from '../../server/temporal/contract.ts';
import { createDiagnosticsActivities } from '../testing/diagnostics-activities.ts';
import { pingWorkflow, sleepWorkflow } from '../testing/diagnostics-workflows.ts';
import { startTimeSkippingEnv, taskQueueFor, useDevServer } from '../testing/temporal-test-env.ts';

const workflowsPath = fileURLToPath(new URL('../testing/workflows.ts', import.meta.url));

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath, logger: undefined });
});

describe('on the Temporal dev server', () => {
  const devServer = useDevServer();

  it('runs a workflow to its result and lists it by the CustomerId search attribute', async () => {
    const taskQueue = taskQueueFor('ping');
    const customerId = `cust-${randomUUID()}`;
    const worker = await Worker.create({
      connection: devServer.nativeConnection(),
      taskQueue,
      workflowBundle: bundle,
      activities: createDiagnosticsActivities({ workerId: 'integration-test' }),
    });

    const result = await worker.runUntil(async () => {
      const handle = await devServer.client().workflow.start(pingWorkflow, {
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
      for await (const execution of devServer.client().workflow.list({ query: `CustomerId = '${customerId}'` })) {
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
