import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { TASK_QUEUES } from '../server/temporal/contract.ts';

export const EXPIRY_SWEEP_SCHEDULE_ID = 'inventory-expiry-sweep';

/** Creates the worker's Temporal schedules once; an existing schedule (another replica, a restart) is left as is. */
export async function ensureSchedules(client: Client, log: Logger): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: EXPIRY_SWEEP_SCHEDULE_ID,
      spec: { intervals: [{ every: '1 hour' }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      action: {
        type: 'startWorkflow',
        workflowType: 'expirySweepWorkflow',
        taskQueue: TASK_QUEUES.default,
        args: [],
      },
    });
    log.info({ scheduleId: EXPIRY_SWEEP_SCHEDULE_ID }, 'created schedule');
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
