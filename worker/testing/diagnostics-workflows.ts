import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { createDiagnosticsActivities, PingInput, PingResult } from './diagnostics-activities.ts';

/** Test-only workflows that prove the Temporal setup itself (a worker round trip, timers under time skipping). */

const { echo } = proxyActivities<ReturnType<typeof createDiagnosticsActivities>>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 ms', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** Round trip through a worker's activity: proves a worker polls its task queue. */
export async function pingWorkflow(input: PingInput): Promise<PingResult> {
  return echo(input);
}

/** Sleeps on a durable timer and reports how much workflow time passed; used to prove timers survive. */
export async function sleepWorkflow(duration: Duration): Promise<{ sleptMs: number; runId: string }> {
  const started = Date.now();
  await sleep(duration);
  return { sleptMs: Date.now() - started, runId: workflowInfo().runId };
}
