import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';

const { touchExpiredLots } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * Lots expire with the calendar, not with a row change, so nothing would reach the change stream. A
 * schedule runs this hourly: it touches expired lots that still hold stock, and the change stream does the rest.
 */
export async function expirySweepWorkflow(): Promise<{ touched: number }> {
  return touchExpiredLots();
}
