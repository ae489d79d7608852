import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../../server/db/client.ts';
import { readHorizon } from '../../server/stream/retention.ts';
import { createRetentionActivities } from '../activities/retention.ts';
import { retentionWorkflow } from './index.ts';

/**
 * The retention workflow on the real Temporal server and Postgres. Retention is kept 3650 days here so that only
 * rows this test writes in 2010 are old enough: other tests share the database.
 */

const workflowsPath = fileURLToPath(new URL('./index.ts', import.meta.url));
const DAYS = { changeOutcomes: 3650, pipelineSamples: 3650, deadLetters: 3650 };
const OLD = new Date('2010-01-01T00:00:00Z');

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through \`npm test\`, which starts the services.`);
  return value;
}

const run = randomUUID().slice(0, 8);
const table = `it_retention_${run}`;
let offset = 0;

async function outcome(createdAt: Date) {
  await db().changeOutcome.create({
    data: { tableName: table, rowKey: `["k${offset}"]`, updated: '1.0', topic: table, partition: 0, offset: offset++, subProcessor: 'it', outcome: 'applied', createdAt },
  });
}

async function applied(appliedAt: Date) {
  await db().streamApplied.create({
    data: { subProcessor: 'it', messageId: `${table}:${offset++}`, tableName: table, rowKey: '["k"]', updated: '1.0', workflowId: 'stream:it:S', runId: 'run-1', appliedAt },
  });
}

async function sample(sampledAt: Date) {
  await db().pipelineSample.create({ data: { tableName: table, sampledAt, consumerLag: 0n, partitionLag: [], messagesPerSecond: 0, deadLetters: 0 } });
}

async function deadLetter(status: 'pending' | 'discarded' | 'replayed', createdAt: Date, resolvedAt: Date | null) {
  const row = await db().deadLetter.create({
    data: {
      topic: table,
      partition: 0,
      offset: offset++,
      payload: '{}',
      headers: {},
      subProcessor: 'it',
      tableName: table,
      errorMessage: 'retention test',
      attempts: 1,
      firstFailedAt: createdAt,
      lastFailedAt: createdAt,
      status,
      resolvedAt,
      createdAt,
    },
  });
  return row.id;
}

describe('retentionWorkflow', () => {
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    const address = required('TEMPORAL_ADDRESS');
    nativeConnection = await NativeConnection.connect({ address });
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace: required('TEMPORAL_NAMESPACE') });
  });
  afterAll(async () => {
    await db().$executeRaw`DELETE FROM change_outcomes WHERE table_name = ${table}`;
    await db().$executeRaw`DELETE FROM stream_applied WHERE table_name = ${table}`;
    await db().$executeRaw`DELETE FROM pipeline_samples WHERE table_name = ${table}`;
    await db().$executeRaw`DELETE FROM dead_letters WHERE topic = ${table}`;
    await connection?.close();
    await nativeConnection?.close();
  });

  it('deletes each table past its retention in batches across continue-as-new, keeps newer rows and pending dead letters, and moves the horizons first', async () => {
    const recent = new Date();
    for (let i = 0; i < 5; i++) {
      await outcome(OLD);
      await applied(OLD);
      await sample(OLD);
    }
    await outcome(recent);
    await applied(recent);
    await sample(recent);
    const oldDiscarded = await deadLetter('discarded', OLD, OLD);
    const oldReplayed = await deadLetter('replayed', OLD, OLD);
    const oldPending = await deadLetter('pending', OLD, null);
    // Created long ago but resolved only now: its retention counts from the resolution.
    const lateDiscarded = await deadLetter('discarded', OLD, recent);

    const taskQueue = `test-retention-${run}`;
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: undefined }),
      activities: createRetentionActivities({ db: db(), days: DAYS }),
    });
    const { result, runs } = await worker.runUntil(async () => {
      const handle = await client.workflow.start(retentionWorkflow, {
        taskQueue,
        workflowId: `retention-${run}`,
        args: [{ batchSize: 2, maxHistoryEvents: 20 }],
      });
      const result = await handle.result();
      let runs = 0;
      for await (const _ of client.workflow.list({ query: `WorkflowId = 'retention-${run}'` })) runs++;
      return { result, runs };
    });

    expect(result.plan.map((step) => [step.table, step.retainDays])).toEqual([
      ['change_outcomes', 3650],
      ['stream_applied', 3650],
      ['pipeline_samples', 3650],
      ['dead_letters', 3650],
    ]);
    expect(result.deleted.change_outcomes).toBeGreaterThanOrEqual(5);
    expect(result.deleted.stream_applied).toBeGreaterThanOrEqual(5);
    expect(result.deleted.pipeline_samples).toBeGreaterThanOrEqual(5);
    expect(result.deleted.dead_letters).toBeGreaterThanOrEqual(2);
    // 5 old rows in batches of 2 per table, history capped at 20 events: the chain continued-as-new.
    expect(runs).toBeGreaterThan(1);

    expect(await db().changeOutcome.count({ where: { tableName: table } })).toBe(1);
    expect(await db().streamApplied.count({ where: { tableName: table } })).toBe(1);
    expect(await db().pipelineSample.count({ where: { tableName: table } })).toBe(1);
    const left = await db().deadLetter.findMany({ where: { topic: table }, select: { id: true } });
    expect(left.map((dl) => dl.id).toSorted()).toEqual([oldPending, lateDiscarded].toSorted());
    expect(left.map((dl) => dl.id)).not.toContain(oldDiscarded);
    expect(left.map((dl) => dl.id)).not.toContain(oldReplayed);

    for (const step of result.plan) {
      const horizon = await readHorizon(db(), step.table);
      expect(horizon?.expiredBefore.getTime()).toBeGreaterThanOrEqual(new Date(step.before).getTime());
    }
  });
});
