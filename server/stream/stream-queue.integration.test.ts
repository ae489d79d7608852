import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { readHorizon } from './retention.ts';
import { COMMIT_MARGIN_MS, sampleStreamQueue } from './stream-queue.ts';

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
  await db().streamQueuePending.deleteMany({ where: { topic: { startsWith: topic } } });
  await db().streamQueueScan.deleteMany({ where: { topic: { startsWith: topic } } });
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
  return { rowKey, updated, messageId: `${table}:${rowKey}@${updated}`, signalledAt: createdAt };
}

/** The same message signalled again: a retried batch, or a replay of its dead letter. */
async function resignal(message: { rowKey: string; updated: string }, createdAt: Date, onTopic = topic) {
  await db().changeOutcome.create({
    data: { tableName: table, rowKey: message.rowKey, updated: message.updated, topic: onTopic, partition: 0, offset: offset++, subProcessor: sp, outcome: 'signalled', workflowId: `stream:${sp}:S`, createdAt },
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

/** One pipeline sample of a topic's queue, taken at `now` (default: the present). */
const sample = (onTopic: string, horizon: Date | null, now = new Date(), onTable = table) => sampleStreamQueue(db(), { table: onTable, topic: onTopic, now, horizon });

describe('sampleStreamQueue', () => {
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

    expect(await sample(topic, at(-10))).toEqual({ queued: 3, oldestAt: at(4) });
    // Messages signalled before the retention horizon are not counted, carried or not.
    expect(await sample(topic, at(6))).toEqual({ queued: 2, oldestAt: at(7) });
    expect(await sample(topic, at(-10), new Date(), 'inventory_lots')).toEqual({ queued: 0, oldestAt: null });
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

    // The topic's first sample: nothing carried yet, so it scans back to the horizon.
    const first = await sample(stuckTopic, horizon, now);
    expect(first).toEqual({ queued: 2, oldestAt: stuckSince });

    // Later samples, the stuck message still unapplied: each one scans only the new signals and carries it.
    const second = await sample(stuckTopic, horizon, new Date(now.getTime() + 10_000));
    expect(second).toEqual({ queued: 2, oldestAt: stuckSince });
    const anHourOn = new Date(now.getTime() + HOUR_MS);
    const third = await sample(stuckTopic, horizon, anHourOn);
    expect(third).toEqual({ queued: 2, oldestAt: stuckSince });
  });

  it('drops out only once retention has moved past its outcome', async () => {
    const expiredTopic = `${topic}-expired`;
    await signalled('stuck-past-retention', ago(3 * HOUR_MS), 'signalled', expiredTopic);
    await signalled('stuck-within-retention', ago(2 * HOUR_MS), 'signalled', expiredTopic);
    expect(await sample(expiredTopic, ago(4 * HOUR_MS), ago(10_000))).toEqual({ queued: 2, oldestAt: ago(3 * HOUR_MS) });
    // Retention's horizon moves past the older one: it leaves the carried set.
    expect(await sample(expiredTopic, ago(2.5 * HOUR_MS), now)).toEqual({ queued: 1, oldestAt: ago(2 * HOUR_MS) });
    expect(await db().streamQueuePending.count({ where: { topic: expiredTopic } })).toBe(1);
  });
});

describe('the carried queue', () => {
  const HOUR_MS = 60 * 60 * 1000;
  const ago = (ms: number) => new Date(Date.now() - ms);

  it('loses a message once applied or given up on by its workflow, and counts its replay until that is applied', async () => {
    const onTopic = `${topic}-resolve`;
    const stuck = await signalled('stuck', ago(2 * HOUR_MS), 'signalled', onTopic);
    const failing = await signalled('failing', ago(HOUR_MS), 'signalled', onTopic);
    const first = await sample(onTopic, null);
    expect(first).toEqual({ queued: 2, oldestAt: stuck.signalledAt });
    expect(await sample(onTopic, null)).toEqual(first);

    await applied(stuck);
    expect(await sample(onTopic, null)).toEqual({ queued: 1, oldestAt: failing.signalledAt });

    // Its workflow gives up: a workflow-stage dead letter.
    await deadLettered(failing, new Date());
    expect(await sample(onTopic, null)).toEqual({ queued: 0, oldestAt: null });

    // A replay signals it again (a new, later outcome), then marks the entry replayed: queued since the replay.
    const replayedAt = new Date();
    await resignal(failing, replayedAt, onTopic);
    await db().deadLetter.updateMany({ where: { subProcessor: sp, rowKey: failing.rowKey, stage: 'workflow' }, data: { status: 'replayed' } });
    expect(await sample(onTopic, null)).toEqual({ queued: 1, oldestAt: replayedAt });
    expect(await sample(onTopic, null)).toEqual({ queued: 1, oldestAt: replayedAt });

    // The replay fails too: the same entry is pending again, and the message leaves the count again.
    await db().deadLetter.updateMany({ where: { subProcessor: sp, rowKey: failing.rowKey, stage: 'workflow' }, data: { status: 'pending' } });
    expect(await sample(onTopic, null)).toEqual({ queued: 0, oldestAt: null });

    // Replayed once more, and applied this time.
    const againAt = new Date();
    await resignal(failing, againAt, onTopic);
    await db().deadLetter.updateMany({ where: { subProcessor: sp, rowKey: failing.rowKey, stage: 'workflow' }, data: { status: 'replayed' } });
    expect(await sample(onTopic, null)).toEqual({ queued: 1, oldestAt: againAt });
    await applied(failing);
    expect(await sample(onTopic, null)).toEqual({ queued: 0, oldestAt: null });
    expect(await db().streamQueuePending.count({ where: { topic: onTopic } })).toBe(0);
  });

  it('gives concurrent samples of the same topic the same answer and keeps each message once', async () => {
    const onTopic = `${topic}-concurrent`;
    const messages = [];
    for (let i = 0; i < 5; i++) messages.push(await signalled(`concurrent-${i}`, ago((i + 1) * 60_000), 'signalled', onTopic));
    const pendingKeys = async () => (await db().streamQueuePending.findMany({ where: { topic: onTopic }, select: { rowKey: true } })).map((p) => p.rowKey).sort();

    const at = new Date();
    const [a, b] = await Promise.all([sample(onTopic, null, at), sample(onTopic, null, at)]);
    expect(a).toEqual({ queued: 5, oldestAt: messages[4]!.signalledAt });
    expect(b).toEqual(a);
    expect(await pendingKeys()).toEqual(messages.map((m) => m.rowKey).sort());

    // Incremental samples side by side: one new signal, one applied.
    const fresh = await signalled('concurrent-fresh', new Date(), 'signalled', onTopic);
    await applied(messages[4]!);
    const later = new Date();
    const [c, d] = await Promise.all([sample(onTopic, null, later), sample(onTopic, null, later)]);
    expect(c).toEqual({ queued: 5, oldestAt: messages[3]!.signalledAt });
    expect(d).toEqual(c);
    expect(await pendingKeys()).toEqual([...messages.slice(0, 4), fresh].map((m) => m.rowKey).sort());
  });

  it('reads only the signals since the previous sample, however long the oldest has been stuck', async () => {
    const onTopic = `${topic}-bounded`;
    const stuck = await signalled('bounded-stuck', ago(2 * HOUR_MS), 'signalled', onTopic);
    const firstAt = new Date();
    expect(await sample(onTopic, null, firstAt)).toEqual({ queued: 1, oldestAt: stuck.signalledAt });

    // 20,000 signals dated between the stuck message and the first sample (less the commit margin), never applied:
    // written behind the first scan's back, so only a scan reaching back towards the stuck message would see them.
    const bulkFrom = new Date(stuck.signalledAt.getTime() + 1000);
    await db().$executeRaw`
      INSERT INTO change_outcomes (table_name, row_key, updated, topic, partition, "offset", sub_processor, outcome, workflow_id, created_at)
      SELECT ${table}, '["S","bulk-' || i || '"]', i || '.0', ${onTopic}, 0, 1000000 + i, ${sp}, 'signalled'::"ChangeOutcomeKind", ${`stream:${sp}:S`},
        ${bulkFrom}::timestamptz + i * interval '100 milliseconds'
      FROM generate_series(1, 20000) AS i`;
    expect(bulkFrom.getTime() + 20_000 * 100).toBeLessThan(firstAt.getTime() - COMMIT_MARGIN_MS);

    expect(await sample(onTopic, null)).toEqual({ queued: 1, oldestAt: stuck.signalledAt });
    expect(await db().streamQueuePending.count({ where: { topic: onTopic } })).toBe(1);

    // Without a previous scan the sample seeds from the horizon, and those signals are queued messages like any other.
    await db().streamQueueScan.deleteMany({ where: { topic: onTopic } });
    expect(await sample(onTopic, null)).toEqual({ queued: 20_001, oldestAt: stuck.signalledAt });
  });
});
