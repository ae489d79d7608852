import type proto from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflows, decodePayload as decode, EventType, loadHistory, replayHistory, type History } from '../testing/replay-histories.ts';

/**
 * Stream-processing runs recorded with the workflow as it was at 685a58b (and, for `local-batches`, at the
 * STREAM_LOCAL_BATCH_PATCH) must replay on today's code: a shard's
 * run lasts an hour and carries its queue across continue-as-new, so runs like these (`open` was still waiting
 * for its next batch when recorded) are what a new worker takes over on a deploy. The files are
 * `History.toObject(…, { longs: String, enums: String, bytes: String })` of real runs on the dev server.
 */
const load = (name: string) => loadHistory(`stream-processing-${name}`);

/** What a history shows of the run: its signals, batches, how it left off and what it carried or returned. */
function summarize(history: History) {
  const events = history.events;
  const of = (type: proto.temporal.api.enums.v1.EventType) => events.filter((event) => event.eventType === type);
  const last = events.at(-1);
  return {
    signals: of(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).map((event) => (decode(event.workflowExecutionSignaledEventAttributes?.input) as { id: string }[]).length),
    batches: of(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name !== 'recordStreamDeadLetter')
      .map((event) => (decode(event.activityTaskScheduledEventAttributes?.input) as { id: string }[]).map(({ id }) => id)),
    rejected: of(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED).map((event) => event.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type),
    timersCanceled: of(EventType.EVENT_TYPE_TIMER_CANCELED).length,
    last: last?.eventType ? EventType[last.eventType] : undefined,
    carried: decode(events[0]?.workflowExecutionStartedEventAttributes?.input) as { carried?: { queue: { id: string }[]; generation: number } },
    continuedWith: last?.workflowExecutionContinuedAsNewEventAttributes ? (decode(last.workflowExecutionContinuedAsNewEventAttributes.input) as object) : undefined,
    result: last?.workflowExecutionCompletedEventAttributes ? (decode(last.workflowExecutionCompletedEventAttributes.result) as object) : undefined,
  };
}

describe('stream-processing workflow replay', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    workflowBundle = await bundleWorkflows();
  }, 60_000);

  const replay = (history: History) => replayHistory(workflowBundle, history);

  it('replays a run fed by three signals (duplicates dropped) over three batches, completed', async () => {
    const history = load('signals');
    expect(summarize(history)).toMatchObject({
      signals: [4, 2, 3],
      batches: [['m1', 'm2', 'm3'], ['m4'], ['m5', 'm6', 'm7']],
      last: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
      result: { processed: 7, batches: 3, failed: 0, queued: 0, generation: 0 },
    });
    await expect(replay(history)).resolves.toBeUndefined();
  });

  it('replays a run that split a batch the activity rejected as unprocessable and dropped the poison message', async () => {
    const history = load('poison');
    expect(summarize(history)).toMatchObject({
      batches: [['a', 'poison-1', 'b'], ['a'], ['poison-1'], ['b'], ['c']],
      rejected: ['InvalidStreamMessageError', 'InvalidStreamMessageError'],
      last: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
      result: { processed: 3, failed: 1 },
    });
    await expect(replay(history)).resolves.toBeUndefined();
  });

  it('replays a run that reached maxHistoryEvents and continued as new carrying its queue', async () => {
    const history = load('continue-as-new');
    expect(summarize(history)).toMatchObject({
      signals: [9],
      batches: [['h1', 'h2'], ['h3', 'h4'], ['h5', 'h6']],
      last: 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
      continuedWith: { maxHistoryEvents: 20, carried: { queue: [{ id: 'h7' }, { id: 'h8' }, { id: 'h9' }], processed: 6, generation: 1 } },
    });
    await expect(replay(history)).resolves.toBeUndefined();
  });

  it('replays the run that continued it, started with the carried queue', async () => {
    const history = load('carried');
    expect(summarize(history)).toMatchObject({
      signals: [],
      carried: { carried: { queue: [{ id: 'h7' }, { id: 'h8' }, { id: 'h9' }], generation: 1 } },
      batches: [['h7', 'h8'], ['h9']],
      last: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
      result: { processed: 9, generation: 1 },
    });
    await expect(replay(history)).resolves.toBeUndefined();
  });

  it('replays a run whose batches ran as local activities (one marker each), one split to dead-letter its poison message', async () => {
    const history = load('local-batches');
    const events = history.events;
    expect(summarize(history)).toMatchObject({ signals: [4, 2], batches: [], last: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', result: { processed: 5, failed: 1 } });
    expect(events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(6);
    const deadLettered = events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'recordStreamDeadLetter');
    expect(deadLettered.map((event) => (decode(event.activityTaskScheduledEventAttributes?.input) as { message: { id: string } }).message.id)).toEqual(['poison-1']);
    await expect(replay(history)).resolves.toBeUndefined();
  });

  it('replays a run still open, waiting with one message queued for its next batch', async () => {
    const history = load('open');
    expect(summarize(history)).toMatchObject({
      signals: [3, 1],
      batches: [['o1', 'o2', 'o3']],
      timersCanceled: 1,
      last: 'EVENT_TYPE_TIMER_STARTED',
      result: undefined,
    });
    await expect(replay(history)).resolves.toBeUndefined();
  });
});
