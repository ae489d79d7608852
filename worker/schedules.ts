import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Logger } from 'pino';
import { TASK_QUEUES, WORKFLOW_TYPES } from '../server/temporal/contract.ts';

export const EXPIRY_SWEEP_SCHEDULE_ID = 'inventory-expiry-sweep';
/** The benefit-lifecycle safety net: starts and lapses any subscription whose own timers did not (see benefitLifecycleSweepWorkflow). */
export const BENEFIT_LIFECYCLE_SWEEP_SCHEDULE_ID = 'card-link-benefit-lifecycle-sweep';
/** Deletes change outcomes, stream_applied, pipeline samples and resolved dead letters past their retention (RETENTION_*_DAYS). */
export const RETENTION_SCHEDULE_ID = 'stream-retention';

const SCHEDULES: ScheduleOptions[] = [
  {
    scheduleId: EXPIRY_SWEEP_SCHEDULE_ID,
    spec: { intervals: [{ every: '1 hour' }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    action: { type: 'startWorkflow', workflowType: WORKFLOW_TYPES.expirySweep, taskQueue: TASK_QUEUES.default, args: [] },
  },
  {
    scheduleId: BENEFIT_LIFECYCLE_SWEEP_SCHEDULE_ID,
    spec: { intervals: [{ every: '15 minutes' }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    action: { type: 'startWorkflow', workflowType: WORKFLOW_TYPES.benefitLifecycleSweep, taskQueue: TASK_QUEUES.cardLink, args: [] },
  },
  {
    scheduleId: RETENTION_SCHEDULE_ID,
    spec: { intervals: [{ every: '1 hour' }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    action: { type: 'startWorkflow', workflowType: WORKFLOW_TYPES.retention, taskQueue: TASK_QUEUES.default, args: [] },
  },
];

/** Creates the worker's Temporal schedules once; an existing schedule (another replica, a restart) is left as is. */
export async function ensureSchedules(client: Client, log: Logger): Promise<void> {
  for (const schedule of SCHEDULES) {
    try {
      await client.schedule.create(schedule);
      log.info({ scheduleId: schedule.scheduleId }, 'created schedule');
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
}
