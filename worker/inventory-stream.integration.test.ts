import { describe, expect, it } from 'vitest';
import type { Actor } from '../server/auth/actor.ts';
import { db } from '../server/db/client.ts';
import { adjustStock, receiveLot } from '../server/inventory/stock.ts';
import { touchRows } from '../server/inventory/touch.ts';
import { temporal } from '../server/temporal/client.ts';
import { eventually } from '../server/testing/eventually.ts';
import { streamWorkflowId } from '../server/temporal/contract.ts';
import { pipelineTestNames, withPipelineTestStack } from './testing/pipeline-stack.ts';

// The whole pipeline on the real services: write path → pgoutput → relay → Kafka → processors →
// sub-processors → SignalWithStart → stream workflows → activities → database.
const names = pipelineTestNames('pipeline', 'PIPE');
const { storeId, sku } = names;
const associate: Actor = { id: 'associate@pipeline-test', role: 'associate' };

withPipelineTestStack(names);

const availability = () => db().catalogAvailability.findUnique({ where: { storeId_sku: { storeId, sku } } });
const suggestion = () => db().replenishmentSuggestion.findUnique({ where: { storeId_sku: { storeId, sku } } });

describe('the inventory change stream', () => {
  it('carries a stock adjustment through to catalog availability and replenishment suggestions', async () => {
    await adjustStock(db(), { storeId, sku, delta: 2, reason: 'receive' }, associate);
    await eventually('the SKU to show as available', async () => (await availability())?.available === true);
    // A different sub-processor and workflow: it may land a moment later.
    const opened = await eventually('a replenishment suggestion to open', async () => (await suggestion())?.status === 'open' && suggestion());
    expect(opened).toMatchObject({ status: 'open', onHand: 2, reorderPoint: 3 });

    const sold = await adjustStock(db(), { storeId, sku, delta: -2, reason: 'sale' }, associate);
    await eventually('the SKU to be marked sold out', async () => (await availability())?.available === false);
    // The processor records the change as signalled (queued in the store's workflow); the batch activity records it
    // as applied, with its effect, in the ledger.
    const outcomes = await eventually('the availability outcome of the sale', async () => {
      const rows = await db().changeOutcome.findMany({
        where: { tableName: 'inventory_levels', rowKey: JSON.stringify([storeId, sku]), subProcessor: 'availability-sync', outcome: 'signalled' },
        orderBy: { id: 'asc' },
      });
      return rows.length >= 2 ? rows : undefined;
    });
    const workflowId = streamWorkflowId('availability-sync', storeId);
    expect(outcomes.at(-1)).toMatchObject({ workflowId, topic: 'inventory_levels' });
    const applied = await eventually('the sale to be applied', () =>
      db().streamApplied.findFirst({ where: { subProcessor: 'availability-sync', tableName: 'inventory_levels', rowKey: JSON.stringify([storeId, sku]), updated: outcomes.at(-1)?.updated } }),
    );
    expect(applied).toMatchObject({ workflowId });
    expect(Number(applied.latencyMs)).toBeLessThan(30_000);
    const running = await temporal().workflow.getHandle(workflowId).describe();
    expect(running.status.name).toBe('RUNNING');
    // The signalled outcome names the run its signal reached: the one that applied it.
    expect(outcomes.at(-1)?.runId).toBe(applied.runId);
    expect(applied.runId).toBe(running.runId);
    expect(sold.onHand).toBe(0);

    await adjustStock(db(), { storeId, sku, delta: 10, reason: 'receive' }, associate);
    await eventually('the SKU to be back in stock', async () => (await availability())?.available === true);
    await eventually('the replenishment suggestion to close', async () => (await suggestion())?.status === 'closed');
  });

  it('writes off a lot received already expired', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const before = (await db().inventoryLevel.findUniqueOrThrow({ where: { storeId_sku: { storeId, sku } } })).onHand;
    const { lotId } = await receiveLot(db(), { storeId, sku, quantity: 4, expiresOn: yesterday }, associate);

    const writeOff = await eventually('the expired lot to be written off', () => db().expiryWriteOff.findUnique({ where: { lotId } }));
    expect(writeOff).toMatchObject({ quantity: 4, storeId, sku });
    expect(await db().inventoryLot.findUniqueOrThrow({ where: { lotId } })).toMatchObject({ quantity: 0 });
    expect((await db().inventoryLevel.findUniqueOrThrow({ where: { storeId_sku: { storeId, sku } } })).onHand).toBe(before);
  });

  it('re-drives a touched row through every sub-processor of its table', async () => {
    const rowKey = JSON.stringify([storeId, sku]);
    const since = new Date();
    await touchRows(db(), { table: 'inventory_levels', storeId, skus: [sku] }, associate, 'pipeline test re-drive');
    const redriven = await eventually('both level sub-processors to apply the touch', async () => {
      const rows = await db().streamApplied.findMany({ where: { tableName: 'inventory_levels', rowKey, appliedAt: { gte: since } } });
      const names = new Set(rows.map((row) => row.subProcessor));
      return names.has('availability-sync') && names.has('low-stock-replenishment') ? names : undefined;
    });
    expect([...redriven].sort()).toEqual(['availability-sync', 'low-stock-replenishment']);
  });
});
