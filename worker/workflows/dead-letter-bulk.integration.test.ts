import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/auth/actor.ts';
import { db } from '../../server/db/client.ts';
import { env } from '../../server/env.ts';
import { cleanupAll } from '../../server/testing/cleanup.ts';
import { eventually } from '../../server/testing/eventually.ts';
import { cancelBulkOp, getBulkOp, queryBulkProgress, startBulkOp, type BulkOpDeps } from '../../server/stream/bulk-ops.ts';
import type { DeadLetterDeps } from '../../server/stream/dead-letter-replay.ts';
import type { SubProcessorRegistry } from '../../server/stream/run-sub-processor.ts';
import type { SubProcessor } from '../../server/stream/sub-processor.ts';
import type { InventoryLevelRow } from '../../server/stream/tables.ts';
import type { DeadLetterBulkProgress } from '../../server/temporal/contract.ts';
import { temporal } from '../../server/temporal/client.ts';
import { createDeadLetterBulkActivities } from '../activities/dead-letter-bulk.ts';

const prefix = `test-bulk-${randomUUID().slice(0, 8)}`;
const actor: Actor = { id: `${prefix}-engineer`, role: 'engineer' };
const taskQueue = `${prefix}-queue`;
const log = pino({ level: 'silent' });
const WALL = BigInt(Date.now()) * 1_000_000n;

/** Applies every change and counts applications per row key and version: a second one would show a double. */
const applied = new Map<string, number>();
const sp: SubProcessor<InventoryLevelRow> = {
  name: `${prefix}-sp`,
  accepts: () => true,
  async process(change) {
    const id = `${change.rowKey}@${change.updatedText}`;
    applied.set(id, (applied.get(id) ?? 0) + 1);
    return { outcome: 'applied' };
  },
  onError: () => 'retry',
};
const registry = { inventory_levels: [sp], inventory_lots: [] } as unknown as SubProcessorRegistry;
const deadLetterDeps = (): DeadLetterDeps => ({ db: db(), temporal: temporal(), registry, log, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 } });
const bulkDeps = (workflow: BulkOpDeps['workflow'] = {}): BulkOpDeps => ({ db: db(), temporal: temporal(), taskQueue, workflow });

let topicCount = 0;
/** `count` pending processor-stage dead letters of `sp` on a fresh topic, one row key each. */
async function seedEntries(count: number): Promise<string> {
  const topic = `${prefix}-${++topicCount}.inventory_levels`;
  const now = new Date();
  const rows = Array.from({ length: count }, (_, i) => {
    const key = [`${prefix}-${topicCount}-s${i}`, 'sku-1'];
    const updated = `${WALL}.${String(i).padStart(10, '0')}`;
    return {
      topic,
      partition: 0,
      offset: BigInt(i + 1),
      messageKey: JSON.stringify(key),
      payload: JSON.stringify({ after: { store_id: key[0], sku: 'sku-1', on_hand: 3 }, before: null, key, updated }),
      headers: {},
      subProcessor: sp.name,
      tableName: 'inventory_levels',
      rowKey: JSON.stringify(key),
      updated,
      errorMessage: 'boom',
      attempts: 5,
      firstFailedAt: now,
      lastFailedAt: now,
    };
  });
  for (let i = 0; i < rows.length; i += 1000) await db().deadLetter.createMany({ data: rows.slice(i, i + 1000) });
  return topic;
}

const opRow = (id: string) => db().deadLetterBulkOp.findUniqueOrThrow({ where: { id } });

let bundle: WorkflowBundleWithSourceMap;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  bundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)), logger: undefined });
  nativeConnection = await NativeConnection.connect({ address: env().TEMPORAL_ADDRESS });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createDeadLetterBulkActivities({ deadLetters: deadLetterDeps }),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  await cleanupAll(prefix, [
    async () => {
      worker.shutdown();
      await running;
    },
    () => nativeConnection.close(),
    () => db().deadLetterBulkOp.deleteMany({ where: { startedBy: actor.id } }),
    () => db().deadLetter.deleteMany({ where: { topic: { startsWith: prefix } } }),
    () => db().processorWatermark.deleteMany({ where: { subProcessor: { startsWith: prefix } } }),
    () => db().changeOutcome.deleteMany({ where: { subProcessor: { startsWith: prefix } } }),
    () => db().auditLog.deleteMany({ where: { actor: { startsWith: prefix } } }),
    () => temporal().connection.close(),
  ]);
}, 60_000);

describe('deadLetterBulkWorkflow with its real activities', () => {
  it('replays 2,500 entries over several continued-as-new runs, each exactly once, with a result per entry and the op audited', async () => {
    const topic = await seedEntries(2500);
    const op = await startBulkOp(
      bulkDeps({ pagesPerRun: 10 }),
      { kind: 'replay', selection: { filter: { topic } }, reason: 'bulk test', confirmedCount: 2500, ratePerSecond: 1000 },
      actor,
    );
    expect(op).toMatchObject({ status: 'running', total: 2500, done: 0 });
    const handle = temporal().workflow.getHandle(op.workflowId);
    const firstRunId = (await handle.describe()).runId;
    const result = (await handle.result()) as DeadLetterBulkProgress;
    expect(result).toMatchObject({ state: 'finished', done: 2500, succeeded: 2500, failed: 0, skipped: 0 });
    // 2,500 entries in pages of 100, 10 pages per run: the chain continued as new twice.
    expect((await handle.describe()).runId).not.toBe(firstRunId);

    expect(await opRow(op.id)).toMatchObject({ status: 'finished', done: 2500, succeeded: 2500, superseded: 0, failed: 0, skipped: 0 });
    const results = await db().deadLetterBulkResultRow.groupBy({ by: ['result'], where: { opId: op.id }, _count: true });
    expect(results).toEqual([{ result: 'replayed', _count: 2500 }]);
    expect(await db().deadLetter.count({ where: { topic, status: 'replayed' } })).toBe(2500);
    const applications = [...applied.entries()].filter(([key]) => key.startsWith(`["${prefix}-1-`));
    expect(applications).toHaveLength(2500);
    expect(applications.every(([, times]) => times === 1)).toBe(true);
    expect(await db().deadLetterBulkClaim.count({ where: { opId: op.id } })).toBe(0);
    const audit = await db().auditLog.findMany({ where: { target: `dead_letter_bulk_op:${op.id}` }, orderBy: { id: 'asc' } });
    expect(audit.map((row) => [row.action, row.actor])).toEqual([
      ['dead_letter.bulk_op.started', actor.id],
      ['dead_letter.bulk_op.finished', actor.id],
    ]);

    const page = await getBulkOp(db(), op.id, { limit: 5 });
    expect(page.results).toHaveLength(5);
    expect(page.results[0]).toMatchObject({ result: 'replayed' });
    expect(page.nextAfter).toBe(page.results[4]!.deadLetterId);
  }, 420_000);

  it('cancelled mid-way, it stops after the entries in hand: those stay done, the rest stay pending, the canceller is audited', async () => {
    const topic = await seedEntries(300);
    const op = await startBulkOp(bulkDeps(), { kind: 'replay', selection: { filter: { topic } }, reason: 'cancel test', confirmedCount: 300, ratePerSecond: 40 }, actor);
    await eventually('40 entries done', async () => (await opRow(op.id)).done >= 40);
    const canceller: Actor = { id: `${prefix}-other-engineer`, role: 'admin' };
    const cancelling = await cancelBulkOp(bulkDeps(), op.id, canceller);
    expect(cancelling).toMatchObject({ status: 'running', cancelling: true, cancelRequestedBy: canceller.id });
    const result = (await temporal().workflow.getHandle(op.workflowId).result()) as DeadLetterBulkProgress;
    expect(result.state).toBe('cancelled');

    const row = await opRow(op.id);
    expect(row.status).toBe('cancelled');
    expect(row.done).toBeGreaterThanOrEqual(40);
    expect(row.done).toBeLessThan(300);
    expect(await db().deadLetterBulkResultRow.count({ where: { opId: op.id, result: 'replayed' } })).toBe(row.done);
    expect(await db().deadLetter.count({ where: { topic, status: 'replayed' } })).toBe(row.done);
    expect(await db().deadLetter.count({ where: { topic, status: 'pending' } })).toBe(300 - row.done);
    expect(await db().deadLetterBulkClaim.count({ where: { opId: op.id } })).toBe(0);
    const audit = await db().auditLog.findMany({ where: { target: `dead_letter_bulk_op:${op.id}` }, orderBy: { id: 'asc' } });
    expect(audit.map((entry) => [entry.action, entry.actor])).toEqual([
      ['dead_letter.bulk_op.started', actor.id],
      ['dead_letter.bulk_op.cancelled', canceller.id],
    ]);
    await expect(cancelBulkOp(bulkDeps(), op.id, canceller)).rejects.toThrow('is cancelled, not running');
  }, 120_000);

  it('a console that did not start it (a new client, as after a restart) reads its progress mid-way, from the workflow and from Postgres', async () => {
    const topic = await seedEntries(200);
    const op = await startBulkOp(bulkDeps(), { kind: 'discard', selection: { filter: { topic } }, reason: 'restart test', confirmedCount: 200, ratePerSecond: 50 }, actor);

    const connection = await Connection.connect({ address: env().TEMPORAL_ADDRESS });
    try {
      const restarted = new Client({ connection, namespace: env().TEMPORAL_NAMESPACE });
      const midway = await eventually('progress from the workflow mid-way', async () => {
        const progress = await queryBulkProgress(restarted, op.id);
        return progress.done > 0 && progress.done < 200 ? progress : null;
      });
      expect(midway.state).toBe('running');
      const persisted = await getBulkOp(db(), op.id);
      expect(persisted.op.done).toBeGreaterThan(0);
      expect(persisted.op.rate).toBeGreaterThan(0);
      const final = (await restarted.workflow.getHandle(op.workflowId).result()) as DeadLetterBulkProgress;
      expect(final).toMatchObject({ state: 'finished', done: 200, succeeded: 200 });
    } finally {
      await connection.close();
    }
    expect(await db().deadLetter.count({ where: { topic, status: 'discarded', resolution: 'restart test', resolvedBy: actor.id } })).toBe(200);
  }, 120_000);

  it('two ops started at once over the same selection never work on one entry both: each entry is done by one, skipped by the other as claimed', async () => {
    const topic = await seedEntries(400);
    const start = () =>
      startBulkOp(bulkDeps({ pageSize: 20 }), { kind: 'replay', selection: { filter: { topic } }, reason: 'race test', confirmedCount: 400, ratePerSecond: 1000 }, actor);
    const [a, b] = await Promise.all([start(), start()]);
    await Promise.all([temporal().workflow.getHandle(a.workflowId).result(), temporal().workflow.getHandle(b.workflowId).result()]);

    const results = await db().deadLetterBulkResultRow.findMany({ where: { opId: { in: [a.id, b.id] } } });
    const done = results.filter((row) => row.result === 'replayed');
    const skipped = results.filter((row) => row.result === 'skipped');
    expect(done).toHaveLength(400);
    expect(new Set(done.map((row) => row.deadLetterId.toString())).size).toBe(400);
    // The loser of an entry never began on it: it found the claim, or the entry already resolved before it claimed it.
    for (const row of skipped) expect(row.detail).toMatch(/^claimed by bulk operation |^no longer pending when its turn came|^handled by another bulk operation/);
    expect(results.length).toBe(done.length + skipped.length);
    const applications = [...applied.entries()].filter(([key]) => key.startsWith(`["${prefix}-${topicCount}-`));
    expect(applications).toHaveLength(400);
    expect(applications.every(([, times]) => times === 1)).toBe(true);
    const [rowA, rowB] = [await opRow(a.id), await opRow(b.id)];
    expect(rowA.succeeded + rowB.succeeded).toBe(400);
    expect([rowA.status, rowB.status]).toEqual(['finished', 'finished']);
  }, 120_000);

  it('refuses a selection that has grown past the confirmed count, and one with nothing to do', async () => {
    const topic = await seedEntries(3);
    await expect(startBulkOp(bulkDeps(), { kind: 'replay', selection: { filter: { topic } }, reason: 'x', confirmedCount: 2, ratePerSecond: 10 }, actor)).rejects.toThrow(
      '3 pending entries match now, more than the 2 you confirmed',
    );
    await expect(
      startBulkOp(bulkDeps(), { kind: 'replay', selection: { filter: { topic: `${topic}-none` } }, reason: 'x', confirmedCount: 2, ratePerSecond: 10 }, actor),
    ).rejects.toThrow('nothing to do');
    await expect(startBulkOp(bulkDeps(), { kind: 'replay', selection: { filter: { topic } }, reason: '  ', confirmedCount: 3, ratePerSecond: 10 }, actor)).rejects.toThrow(
      'a reason is required',
    );
  });
});
