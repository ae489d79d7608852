import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { db } from '../db/client.ts';
import { readStreamQueue } from './stream-queue.ts';

const runId = randomUUID().slice(0, 8);
const table = 'inventory_levels';
const topic = `test-queue-${runId}-${table}`;
const sp = `test-queue-${runId}-sp`;
const start = Date.now() - 120_000;
const at = (seconds: number) => new Date(start + seconds * 1000);

afterAll(async () => {
  await db().changeOutcome.deleteMany({ where: { topic } });
  await db().streamApplied.deleteMany({ where: { subProcessor: sp } });
  await db().deadLetter.deleteMany({ where: { topic } });
  await db().$disconnect();
});

let offset = 0n;
/** What the processor records when a stream workflow accepted a change: its message is `<table>:<key>@<updated>`. */
async function signalled(key: string, createdAt: Date, outcome: 'signalled' | 'applied' = 'signalled') {
  const rowKey = JSON.stringify(['S', key]);
  const updated = `${createdAt.getTime()}000000.0000000000`;
  await db().changeOutcome.create({
    data: { tableName: table, rowKey, updated, topic, partition: 0, offset: offset++, subProcessor: sp, outcome, workflowId: `stream:${sp}:S`, createdAt },
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
