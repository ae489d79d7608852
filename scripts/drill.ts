import path from 'node:path';
import { isScenario, runScenario, SCENARIOS, type DrillSize, type ScenarioName } from './drill/scenarios.ts';
import { startDrillStack } from './drill/stack.ts';
import { drillSummaryLine, failedScenarios, type DrillResults } from './drill/summary.ts';
import { startBenchRun } from './stack/bench.ts';
import { dataRoot } from './stack/paths.ts';

/**
 * `npm run drill [-- <scenario>…]`: fault drills on the real stack, started on the drill's own ports and
 * data dir (Postgres 47433, Kafka 47092/47093, Temporal 47233 on a SQLite file; .data/drill), with the real
 * worker as a child process. Each scenario (scripts/drill/scenarios.ts) runs a burst of adjustments through
 * the write path, injects its fault mid-stream and checks every adjustment's effect.
 * The last line is JSON: {"scenarios":{"<name>":{"lost":0,"doubled":0,"recovered_s":…,…},…}} (scripts/drill/summary.ts).
 * Exit code 1 if any scenario broke the promise (scripts/drill/summary.ts failedScenarios: lost or doubled anything,
 * a final state that does not match the stock, a worker that died on its own, or a backlog that never drained).
 * Sizes: DRILL_ADJUSTMENTS (5000), DRILL_RATE (adjustments/s, 150), DRILL_KAFKA_STOP_MS (20000).
 */
const dataDir = path.join(dataRoot, 'drill');
const PORTS = { postgres: 47433, kafka: 47092, kafkaController: 47093, temporal: 47233 };

const size: DrillSize = {
  adjustments: Number(process.env.DRILL_ADJUSTMENTS ?? 5000),
  perSecond: Number(process.env.DRILL_RATE ?? 150),
  stores: 4,
  skusPerStore: 10,
  lanes: 6,
  kafkaStopMs: Number(process.env.DRILL_KAFKA_STOP_MS ?? 20_000),
  stallMs: Number(process.env.DRILL_STALL_MS ?? 120_000),
};

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const unknown = requested.filter((name) => !isScenario(name));
  if (unknown.length > 0) {
    console.error(`drill: unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
    process.exit(2);
  }
  const scenarios = requested.length > 0 ? (requested as ScenarioName[]) : [...SCENARIOS];
  const run = startBenchRun('drill', dataDir);
  const say = (line: string) => console.log(line);
  try {
    console.log(`drill: ${scenarios.join(', ')}; starting Postgres, Kafka, Temporal and the worker on drill ports (logs in .data/drill/logs)`);
    const stack = await startDrillStack(run.supervisor, { dataDir, ports: PORTS, say });
    run.services = stack.services;
    run.cleanups.push(() => stack.close());
    const results: DrillResults = {};
    for (const name of scenarios) results[name] = await runScenario(stack, name, size, say);
    await run.teardown();
    const failed = failedScenarios(results);
    if (failed.length > 0) console.error(`drill: FAILED ${failed.join(', ')}`);
    console.log(drillSummaryLine(results));
    process.exit(failed.length > 0 ? 1 : 0);
  } catch (err) {
    console.error('drill failed:', err);
    await run.teardown();
    process.exit(1);
  }
}

void main();
