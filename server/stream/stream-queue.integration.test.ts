import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { readHorizon } from './retention.ts';
import { queueScanFrom, readStreamQueue } from './stream-queue.ts';

const runId = randomUUID().slice(0, 8);
const table = 'inventory_levels';
const topic = `test-queue-${runId}-${table}`;
const sp = `test-queue-${runId}-sp`;
const start = Date.now() - 120_000;
const at = (seconds: number) => new Date(start + seconds * 1000);

afterAll(async () => {
  await db().changeOutcome.deleteMany({ where: { topic: { startsWith: topic } } });
  await db().streamApplied.deleteMany({ where: { subProcessor: sp } });
  await db().deadLetter.deleteMany({ where: { topic: { startsWith: topic } } });
  await db().$disconnect();
});

let offset = 0n;
/** What the processor records when a stream workflow accepted a change: its message is `<table>:<key>@<updated>`. */
async function signalled(key: string, createdAt: Date, outcome: 'signalled' | 'applied' = 'signalled', onTopic = topic) {
  const rowKey = JSON.stringify(['S', key]);
  const updated = `${createdAt.getTime()}000000.0000000000`;
  await db().changeOutcome.create({
    data: { tableName: table, rowKey, updated, topic: onTopic, partition: 0, offset: offset++, subProcessor: sp, outcome, workflowId: `stream:${sp}:S`, createdAt },
  });
  return { rowKey, updated, messageId: `${table}:${rowKey}@${updated}` };
}

/** The same message signalled again: a retried batch, or a replay of its dead letter. */
async function resignal(message: { rowKey: string; updated: string }, createdAt: Date) {
  await db().changeOutcome.create({
    data: { tableName: table, rowKey: message.rowKey, updated: message.updated, topic, partition: 0, offset: offset++, subProcessor: sp, outcome: 'signalled', workflowId: `stream:${sp}:S`, createdAt },
  });
}

async function applied(message: { rowKey: string; updated: string; messageId: string }) {
  await db().streamApplied.create({
    data: { subProcessor: sp, messageId: message.messageId, tableName: table, rowKey: message.rowKey, updated: message.updated, workflowId: `stream:${sp}:S`, runId: 'run-1', latencyMs: 40 },
  });
}

async function deadLettered(message: { rowKey: string; updated: string }, createdAt: Date, status: 'pending' | 'replayed' = 'pending') {
  await db().deadLetter.create({
    data: {
      topic,
      partition: 0,
      offset: offset++,
      payload: '{}',
      headers: {},
      subProcessor: sp,
      tableName: table,
      rowKey: message.rowKey,
      updated: message.updated,
      errorMessage: 'batch activity gave up',
      attempts: 10,
      firstFailedAt: createdAt,
      lastFailedAt: createdAt,
      stage: 'workflow',
      status,
      workflowId: `stream:${sp}:S`,
      runId: 'run-1',
      createdAt,
    },
  });
}

describe('readStreamQueue', () => {
  it('counts signalled messages neither applied nor given up on by their workflow, each queued since its latest signal', async () => {
    const done = await signalled('applied', at(0));
    await applied(done);
    const failed = await signalled('failed', at(1));
    await deadLettered(failed, at(5));
    // Dead-lettered by its workflow, then replayed: the replay's signal is queued again.
    const replayed = await signalled('replayed', at(2));
    await deadLettered(replayed, at(6), 'replayed');
    await resignal(replayed, at(7));
    // Replayed, then given up on again: the same entry is pending again (its created_at stays the first failure's).
    const again = await signalled('failed-again', at(2));
    await deadLettered(again, at(5));
    await resignal(again, at(8));
    const stuck = await signalled('stuck', at(3));
    // A second signal of the same message (a retried batch) is one message, queued since the later signal.
    await resignal(stuck, at(4));
    // Applied directly by a sub-processor (no workflow): nothing to wait for.
    await signalled('direct', at(8), 'applied');
    await signalled('fresh', at(9));

    expect(await readStreamQueue(db(), { table, topic, from: at(-10) })).toEqual({ queued: 3, oldestAt: at(4) });
    // The scan starts where it is told: messages signalled before `from` are not looked at.
    expect(await readStreamQueue(db(), { table, topic, from: at(6) })).toEqual({ queued: 2, oldestAt: at(7) });
    expect(await readStreamQueue(db(), { table: 'inventory_lots', topic, from: at(-10) })).toEqual({ queued: 0, oldestAt: null });
  });
});

describe('a message stuck in its workflow for longer than an hour', () => {
  const stuckTopic = `${topic}-stuck`;
  const HOUR_MS = 60 * 60 * 1000;
  const now = new Date();
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it('is still counted, with its true age, on the first sample and on every later one that carries it forward', async () => {
    const stuckSince = ago(2 * HOUR_MS);
    await signalled('stuck-for-hours', stuckSince, 'signalled', stuckTopic);
    const settled = await signalled('applied-long-ago', ago(3 * HOUR_MS), 'signalled', stuckTopic);
    await applied(settled);
    await signalled('recent', ago(30_000), 'signalled', stuckTopic);
    // What the sampler does: the retention horizon of change_outcomes bounds every scan.
    const horizon = (await readHorizon(db(), 'change_outcomes'))?.expiredBefore ?? null;
    const sample = async (previous: Parameters<typeof queueScanFrom>[0], at: Date) =>
      readStreamQueue(db(), { table, topic: stuckTopic, from: queueScanFrom(previous, at, horizon) });

    // The table's first sample: no previous one to carry the oldest from.
    const first = await sample(null, now);
    expect(first).toEqual({ queued: 2, oldestAt: stuckSince });

    // Later samples, the stuck message still unapplied: each one's scan starts at the previous one's oldest.
    const second = await sample({ sampledAt: now, streamQueued: first.queued, streamQueuedOldestAt: first.oldestAt }, new Date(now.getTime() + 10_000));
    expect(second).toEqual({ queued: 2, oldestAt: stuckSince });
    const anHourOn = new Date(now.getTime() + HOUR_MS);
    const third = await sample({ sampledAt: new Date(anHourOn.getTime() - 10_000), streamQueued: second.queued, streamQueuedOldestAt: second.oldestAt }, anHourOn);
    expect(third).toEqual({ queued: 2, oldestAt: stuckSince });
  });

  it('drops out only once retention has moved past its outcome', async () => {
    const expiredTopic = `${topic}-expired`;
    await signalled('stuck-past-retention', ago(3 * HOUR_MS), 'signalled', expiredTopic);
    await signalled('stuck-within-retention', ago(2 * HOUR_MS), 'signalled', expiredTopic);
    const horizon = ago(2.5 * HOUR_MS);
    const from = queueScanFrom({ sampledAt: ago(10_000), streamQueued: 2, streamQueuedOldestAt: ago(3 * HOUR_MS) }, now, horizon);
    expect(await readStreamQueue(db(), { table, topic: expiredTopic, from })).toEqual({ queued: 1, oldestAt: ago(2 * HOUR_MS) });
  });
});
