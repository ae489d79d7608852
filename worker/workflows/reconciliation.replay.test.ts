import type proto from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflows, decodePayload as decode, EventType, loadHistory, replayHistory, type History } from '../testing/replay-histories.ts';

/**
 * Reconciliation runs recorded with the workflow as it was at 685a58b must replay on today's code: a run waits
 * up to days for the partner's answer, so runs like these (`waiting` was still polling when recorded) are open
 * when a new worker takes them over. The files are `History.toObject(…, { longs: String, enums: String, bytes:
 * String })` of real card-link children on the time-skipping test server, with the real activities and database.
 */
const HOUR_S = 3600;

const load = (name: string) => loadHistory(`reconciliation-${name}`);

/** What a history shows of the run: its answers, timers (in hours), activities, how it left off and its result. */
function summarize(history: History) {
  const events = history.events;
  const of = (type: proto.temporal.api.enums.v1.EventType) => events.filter((event) => event.eventType === type);
  const last = events.at(-1);
  return {
    answers: of(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).map((event) => decode(event.workflowExecutionSignaledEventAttributes?.input)),
    timers: of(EventType.EVENT_TYPE_TIMER_STARTED).map((event) => Number(event.timerStartedEventAttributes?.startToFireTimeout?.seconds) / HOUR_S),
    timersFired: of(EventType.EVENT_TYPE_TIMER_FIRED).length,
    activities: of(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name),
    last: last?.eventType ? EventType[last.eventType] : undefined,
    result: last?.workflowExecutionCompletedEventAttributes ? (decode(last.workflowExecutionCompletedEventAttributes.result) as object) : undefined,
  };
}

describe('reconciliation workflow replay', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    workflowBundle = await bundleWorkflows();
  }, 60_000);

  const replay = (history: History) => replayHistory(workflowBundle, history);

  it('replays a Chase run matched by the webhook three days in', async () => {
    const history = load('webhook-matched');
    expect(summarize(history)).toMatchObject({
      answers: [{ matched: true, resolvedBy: 'partner:chase' }],
      timers: [7 * 24],
      timersFired: 0,
      activities: ['confirmReconciledLink'],
      last: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
      result: { matched: true, resolvedBy: 'partner:chase', polls: 0 },
    });
    await expect(replay(history)).resolves.toBeUndefined();
  });

  it('replays an RBC run resolved by its fourth six-hourly poll', async () => {
    const history = load('polling-matched');
    expect(summarize(history)).toMatchObject({
      answers: [],
      timers: [6, 6, 6, 6],
      timersFired: 4,
      activities: ['pollReconciliation', 'pollReconciliation', 'pollReconciliation', 'pollReconciliation', 'confirmReconciledLink'],
      last: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
      result: { matched: true, resolvedBy: 'poll:rbc', polls: 4 },
    });
    await expect(replay(history)).resolves.toBeUndefined();
  });

  it('replays a Chase run whose seven-day deadline passed, compensated', async () => {
    const history = load('deadline');
    expect(summarize(history)).toMatchObject({
      answers: [],
      timers: [7 * 24],
      timersFired: 1,
      activities: ['compensateReconciliation'],
      last: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
      result: { matched: false, reason: 'reconciliation_deadline_passed', resolvedBy: 'deadline', polls: 0 },
    });
    await expect(replay(history)).resolves.toBeUndefined();
  });

  it('replays an RBC run still open after two pending polls, waiting for the third', async () => {
    const history = load('waiting');
    expect(summarize(history)).toMatchObject({
      answers: [],
      timers: [6, 6, 6],
      timersFired: 2,
      activities: ['pollReconciliation', 'pollReconciliation'],
      last: 'EVENT_TYPE_TIMER_STARTED',
      result: undefined,
    });
    await expect(replay(history)).resolves.toBeUndefined();
  });
});
