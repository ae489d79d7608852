import { proxyActivities } from '@temporalio/workflow';
import type { BenefitLifecycleActivities } from '../activities/benefit-lifecycle.ts';

const lifecycle = proxyActivities<BenefitLifecycleActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * The benefit lifecycle, run by the `card-link-benefit-lifecycle-sweep` schedule every 15 minutes: starts and
 * lapses every subscription whose dates have come, in batches, as of this run's time. The transitions are a
 * function of the dates and move forward only, so a run that is late, repeated or overlapping changes nothing
 * twice. `scope` limits it to one customer.
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
