import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { pipelineTestNames, withPipelineTestStack } from '../../worker/testing/pipeline-stack.ts';
import type { Actor } from '../auth/actor.ts';
import { db } from '../db/client.ts';
import { adjustStock } from '../inventory/stock.ts';
import { workflowLinker } from '../temporal/ui-links.ts';
import { eventually } from '../testing/eventually.ts';
import { discardDeadLetter } from './dead-letter-replay.ts';
import { encodeKey } from './envelope.ts';
import { advanceHorizon } from './retention.ts';
import { traceOffsetHref } from './trace-links.ts';
import { parseTraceQuery } from './requests.ts';
import { loadTrace, TraceNotFoundError } from './trace.ts';

// The trace of changes carried by the real pipeline: write path → relay → Kafka → processors → stream workflows.
const names = pipelineTestNames('trace', 'TRC');
const { run, storeId, sku } = names;
const rowKey = encodeKey([storeId, sku]);
const associate: Actor = { id: 'associate@trace-test', role: 'associate' };
const engineer: Actor = { id: 'engineer@trace-test', role: 'engineer' };
const link = workflowLinker({ uiUrl: 'http://temporal-ui.test', namespace: 'default' });
const params = (query: Record<string, string>) => parseTraceQuery(new URLSearchParams(query));

withPipelineTestStack(names, () => db().streamFaultDrill.deleteMany({ where: { rowKey } }));

describe('loadTrace', () => {
  it('traces a change by key and by offset: its adjustment, offset, each verdict, the applying run by run ID; a dead letter and its discard, both ways', async () => {
    const adjusted = await adjustStock(db(), { storeId, sku, delta: 2, reason: 'receive' }, associate);
    const applied = await eventually('the replenishment effect to be applied', () =>
      db().streamApplied.findFirst({ where: { subProcessor: 'low-stock-replenishment', tableName: 'inventory_levels', rowKey } }),
    );

    const byKey = await eventually('every sub-processor to be done', async () => {
      const trace = await loadTrace(db(), params({ table: 'inventory_levels', key: rowKey }), link);
      return trace.status === 'done' && trace;
    });
    expect(byKey.updated).toBe(applied.updated);
    expect(byKey.versions[0]).toMatchObject({ updated: applied.updated, topic: 'inventory_levels' });
    expect(byKey.adjustment).toMatchObject({ id: adjusted.adjustmentId.toString(), delta: 2, reason: 'receive', actor: associate.id });
    const replenishment = byKey.change?.subProcessors.find((sp) => sp.name === 'low-stock-replenishment');
    expect(replenishment).toMatchObject({
      state: 'done',
      effect: { workflowId: applied.workflowId, runId: applied.runId, workflowUrl: link(applied.workflowId, applied.runId) },
    });
    expect(replenishment?.effect?.workflowUrl).toMatch(new RegExp(`/${applied.runId}$`));
    expect(byKey.deadLetters).toEqual([]);

    const kafka = byKey.change!.kafka!;
    const byOffset = await loadTrace(db(), params({ topic: kafka.topic, partition: String(kafka.partition), offset: kafka.offset }), link);
    expect(byOffset).toMatchObject({ table: 'inventory_levels', rowKey, updated: applied.updated, status: 'done' });

    // The next change of the row fails in availability-sync (a fault drill): dead-lettered, then discarded.
    await db().streamFaultDrill.create({ data: { subProcessor: 'availability-sync', tableName: 'inventory_levels', rowKey, errorMessage: `trace drill ${run}`, createdBy: engineer.id } });
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the drill cache's refresh
    await adjustStock(db(), { storeId, sku, delta: -2, reason: 'sale' }, associate);
    const entry = await eventually('the drilled change to be dead-lettered', () =>
      db().deadLetter.findFirst({ where: { tableName: 'inventory_levels', rowKey, subProcessor: 'availability-sync' } }),
    );
    // Failed once the other sub-processor's effect has landed: until then the trace is still waiting for it.
    const failed = await eventually('the trace to settle as failed', async () => {
      const trace = await loadTrace(db(), params({ topic: entry.topic, partition: String(entry.partition), offset: entry.offset.toString() }), link);
      return trace.status === 'failed' && trace;
    });
    expect(failed.updated).toBe(entry.updated);
    expect(failed.updated).not.toBe(byKey.updated);
    expect(failed.deadLetters).toHaveLength(1);
    expect(failed.deadLetters[0]).toMatchObject({ id: entry.id.toString(), url: `/dead-letters?state=all&id=${entry.id}`, status: 'pending' });
    expect(failed.deadLetters[0]?.error).toContain(`trace drill ${run}`);
    expect(failed.change?.subProcessors.find((sp) => sp.name === 'availability-sync')).toMatchObject({ state: 'failed', deadLetter: { id: entry.id.toString() } });
    // The dead letter's link to its trace is the offset lookup just made.
    expect(traceOffsetHref(entry)).toBe(`/trace?topic=inventory_levels&partition=${entry.partition}&offset=${entry.offset}`);
    // Both versions are listed newest first.
    expect(failed.versions.map((v) => v.updated)).toEqual([entry.updated, applied.updated]);

    await discardDeadLetter({ db: db() }, entry.id, engineer, 'trace test: not needed');
    const discarded = await loadTrace(db(), params({ table: 'inventory_levels', key: rowKey, updated: entry.updated! }), link);
    expect(discarded.deadLetters[0]).toMatchObject({ status: 'discarded', resolvedBy: engineer.id });
    expect(discarded.deadLetters[0]?.resolution).toContain('trace test: not needed');
  }, 120_000);

  it('says a version older than the retention horizon has expired, rather than waiting', async () => {
    // Other tests share the database: a horizon in 2012 expires nothing they write.
    await advanceHorizon(db(), { table: 'change_outcomes', before: '2012-01-01T00:00:00.000Z', retainDays: 3650 });
    const old = await loadTrace(db(), params({ table: 'inventory_levels', key: rowKey, updated: '1262304000000000000.0000000000' }), link);
    expect(old).toMatchObject({ status: 'expired', change: null });
    expect(old.expired).toMatch(/^Trace expired: outcomes older than \d+ days are deleted/);
  });

  it('answers 404 for an offset or a row with nothing recorded, and refuses a malformed query', async () => {
    await expect(loadTrace(db(), params({ topic: 'inventory_levels', partition: '0', offset: '999999999999' }), link)).rejects.toBeInstanceOf(TraceNotFoundError);
    await expect(loadTrace(db(), params({ table: 'inventory_levels', key: encodeKey([`NOPE-${run}`, 'X']) }), link)).rejects.toBeInstanceOf(TraceNotFoundError);
    expect(() => params({ table: 'inventory_levels', key: 'SF-001' })).toThrow(ZodError);
    expect(() => params({ table: 'inventory_levels', key: '["only-one"]' })).toThrow(/2 part/);
    expect(() => params({ table: 'orders', key: '["a"]' })).toThrow(ZodError);
    expect(() => params({ topic: 'inventory_levels', partition: '-1', offset: '3' })).toThrow(ZodError);
    expect(() => params({ topic: 'inventory_levels', partition: '0', offset: '3x' })).toThrow(ZodError);
    expect(() => params({})).toThrow(ZodError);
  });
});
