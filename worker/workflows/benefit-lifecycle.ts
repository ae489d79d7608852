import { log, proxyActivities, sleep } from '@temporalio/workflow';
import type { BenefitLifecycleInput } from '../../server/card-link/contract-lifecycle.ts';
import type { AdvanceSubscriptionResult, BenefitLifecycleActivities } from '../activities/benefit-lifecycle.ts';

const lifecycle = proxyActivities<BenefitLifecycleActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Statuses after which no date can move the subscription again. */
const FINAL = new Set(['lapsed', 'ended']);

/**
 * One subscription's benefit over its whole span, on durable timers: sleeps until its start date and starts it
 * (scheduled → active), then until its end date and lapses it. The activity derives the status from the row's
 * dates and the timer's time, so a timer firing late, a worker restart or the hourly sweep having done it
 * first changes nothing twice. An unlinked or compensated subscription ends the workflow at its next timer.
 */
export async function benefitLifecycleWorkflow(input: BenefitLifecycleInput): Promise<AdvanceSubscriptionResult[]> {
  const steps: AdvanceSubscriptionResult[] = [];
  for (const due of [input.startsAt, input.endsAt]) {
    if (due === null) continue;
    const wait = Date.parse(due) - Date.now();
    if (wait > 0) await sleep(wait);
    const step = await lifecycle.advanceSubscription({ subscriptionId: input.subscriptionId, asOf: new Date().toISOString() });
    steps.push(step);
    if (step.status === null || FINAL.has(step.status)) break;
  }
  log.info('benefit lifecycle finished', { subscriptionId: input.subscriptionId, status: steps.at(-1)?.status ?? null });
  return steps;
}

/**
 * The safety net a schedule runs: every subscription whose dates have come, in batches. Catches subscriptions
 * from before the lifecycle workflows existed, and any whose workflow was lost. `scope` limits it to one customer.
 */
export async function benefitLifecycleSweepWorkflow(scope: { customerId?: string } = {}): Promise<{ started: number; lapsed: number }> {
  const total = { started: 0, lapsed: 0 };
  const asOf = new Date().toISOString();
  for (;;) {
    const batch = await lifecycle.sweepBenefitLifecycle({ asOf, ...scope });
    total.started += batch.started;
    total.lapsed += batch.lapsed;
    if (!batch.full) return total;
  }
}
