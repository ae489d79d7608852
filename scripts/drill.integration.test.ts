import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOW_STOCK_REPLENISHMENT } from '../server/stream/sub-processors/low-stock-replenishment.ts';
import { checkEffects } from './drill/effects.ts';
import { drillStoreIds, runScenario, SCENARIOS, type DrillSize } from './drill/scenarios.ts';
import { startDrillStack, type DrillStack } from './drill/stack.ts';
import { dataRoot } from './stack/paths.ts';
import { Supervisor } from './stack/supervisor.ts';

// `npm run drill` at a small size, on a stack of its own (own ports and data dir): the faults stop and kill
// services, so they must never touch the services the other integration tests share.
const dataDir = path.join(dataRoot, 'drill-test');
const PORTS = { postgres: 46433, kafka: 46092, kafkaController: 46093, temporal: 46233 };
const SIZE: DrillSize = { adjustments: 300, perSecond: 100, stores: 2, skusPerStore: 5, lanes: 4, kafkaStopMs: 5000, stallMs: 60_000 };
const SCENARIO_TIMEOUT_MS = 240_000;
const say = (line: string) => console.log(`[drill] ${line}`);

const supervisor = new Supervisor();
let stack: DrillStack;

beforeAll(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  stack = await startDrillStack(supervisor, { dataDir, ports: PORTS, say });
}, 300_000);

afterAll(async () => {
  await stack?.close();
  await supervisor.stopAll();
  await stack?.services.stop();
}, 120_000);

describe('fault drills', () => {
  it.each(SCENARIOS)(
    '%s: every adjustment takes effect exactly once, and the stream recovers',
    async (name) => {
      const result = await runScenario(stack, name, SIZE, say);
      expect(result).toMatchObject({ lost: 0, doubled: 0, phantom: 0, final_state_mismatches: 0, worker_crashes: 0 });
      expect(result.recovered_s).toEqual(expect.any(Number));
      if (name === 'poison') expect(result).toMatchObject({ poison_not_dead_lettered: 0, poison_dead_lettered_twice: 0 });
    },
    SCENARIO_TIMEOUT_MS,
  );

  it('the effect check sees an effect applied twice, and one missing', async () => {
    const stores = drillStoreIds('worker_sigkill', SIZE.stores);
    const { db } = stack;
    expect(await checkEffects(db, stores)).toMatchObject({ lost: 0, doubled: 0 });
    const [row] = await db.$queryRaw<{ message_id: string }[]>`
      SELECT message_id FROM stream_applied
      WHERE sub_processor = ${LOW_STOCK_REPLENISHMENT} AND message_id LIKE ${`inventory_levels:["${stores[0]}",%`} LIMIT 1`;
    if (!row) throw new Error(`no stream_applied row for ${stores[0]}`);
    // The same change applied again under another version (its logical counter bumped): still inside its window.
    const copy = row.message_id.replace(/\.(\d{10})$/, (_, logical: string) => `.${String(Number(logical) + 1).padStart(10, '0')}`);
    await db.$executeRaw`
      INSERT INTO stream_applied (sub_processor, message_id, table_name, row_key, updated, workflow_id, run_id)
      SELECT sub_processor, ${copy}, table_name, row_key, NULL, workflow_id, run_id FROM stream_applied
      WHERE sub_processor = ${LOW_STOCK_REPLENISHMENT} AND message_id = ${row.message_id}`;
    expect(await checkEffects(db, stores)).toMatchObject({ lost: 0, doubled: 1 });

    await db.$executeRaw`
      DELETE FROM stream_applied WHERE sub_processor = ${LOW_STOCK_REPLENISHMENT} AND message_id IN (${row.message_id}, ${copy})`;
    expect(await checkEffects(db, stores)).toMatchObject({ lost: 1, doubled: 0 });
  });
});
