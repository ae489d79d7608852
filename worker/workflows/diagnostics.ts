import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { PingInput, PingResult } from '../../server/temporal/contract.ts';
import type { Activities } from '../activities/index.ts';

const { echo } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** Round trip through a worker's activity: proves a worker polls the default task queue. */
export async function pingWorkflow(input: PingInput): Promise<PingResult> {
  return echo(input);
}

/** Sleeps on a durable timer and reports how much workflow time passed; used to prove timers survive. */
export async function sleepWorkflow(duration: Duration): Promise<{ sleptMs: number; runId: string }> {
  const started = Date.now();
  await sleep(duration);
  return { sleptMs: Date.now() - started, runId: workflowInfo().runId };
}
