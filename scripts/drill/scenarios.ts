import { checkEffects, type EffectReport } from './effects.ts';
import { startBurst, type StockRow } from './load.ts';
import { countPoison, deadLetterRows, poisonMessages, producePoison, type ProducedPoison } from './poison.ts';
import type { DrillStack } from './stack.ts';

/**
 * The fault drills: each runs a paced burst of adjustments through the real write path on its own stores,
 * injects one fault once 40% of the burst has committed, and watches the stream work off the backlog while
 * the burst goes on; once the burst has finished and everything has drained it checks every adjustment's
 * effect (scripts/drill/effects.ts).
 *
 * recovered_s: from the end of the fault (the service started again and serving; the worker restarted; the
 * last poison message produced) until every adjustment committed before then has its effect — the backlog
 * the fault left behind. drained_s: until everything, the rest of the burst included, has its effect.
 */

export const SCENARIOS = ['worker_sigkill', 'kafka_stop', 'temporal_restart', 'postgres_restart', 'poison'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export function isScenario(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}

export interface DrillSize {
  adjustments: number;
  perSecond: number;
  stores: number;
  skusPerStore: number;
  lanes: number;
  kafkaStopMs: number;
  /** Give up waiting for the drain once nothing new has been applied for this long. */
  stallMs: number;
}

export interface ScenarioResult {
  lost: number;
  doubled: number;
  recovered_s: number | null;
  [extra: string]: unknown;
}

type Say = (line: string) => void;

const FAULT_AT = 0.4;
const POLL_MS = 500;
const PROGRESS_EVERY_MS = 5000;

export async function runScenario(stack: DrillStack, name: ScenarioName, size: DrillSize, say: Say): Promise<ScenarioResult> {
  const rows = await drillRows(stack, name, size);
  const storeIds = [...new Set(rows.map((row) => row.storeId))];
  await stack.worker.ready();
  const crashesBefore = stack.worker.crashes;
  say(`${name}: ${size.adjustments} adjustments at ${size.perSecond}/s over ${rows.length} rows of ${storeIds.length} stores`);

  const burst = startBurst({ db: stack.db, tag: name, rows, total: size.adjustments, perSecond: size.perSecond, lanes: size.lanes });
  let burstDone = false;
  const finished = () => (burstDone = true);
  burst.done.then(finished, finished);
  const faultAt = Math.floor(size.adjustments * FAULT_AT);
  while (burst.committed.length < faultAt && !burstDone) await sleep(50);
  // Rethrows, should the burst have failed before the fault.
  if (burstDone) await burst.done;

  say(`${name}: fault at ${burst.committed.length} committed adjustments`);
  const faultStart = Date.now();
  let produced: ProducedPoison[] = [];
  switch (name) {
    case 'worker_sigkill':
      await stack.worker.kill();
      say('  worker SIGKILLed; restarting it');
      stack.worker.start();
      break;
    case 'kafka_stop':
      await stack.bounce('kafka', size.kafkaStopMs);
      break;
    case 'temporal_restart':
      await stack.bounce('temporal');
      break;
    case 'postgres_restart':
      await stack.bounce('postgres');
      break;
    case 'poison':
      produced = await producePoison(stack.kafka, poisonMessages(rows));
      for (const p of produced) say(`  produced ${p.name} → ${p.partition}@${p.offset}`);
      break;
  }
  const faultEnd = Date.now();
  const backlog = [...burst.committed];
  say(`${name}: fault over after ${seconds(faultEnd - faultStart)} s; ${backlog.length} adjustments committed so far`);

  void burst.done.then(() => say(`${name}: burst done (${burst.committed.length} committed, ${burst.retries} writes retried)`), () => undefined);

  const drain = await waitForDrain(stack, { storeIds, backlog, produced, burstDone: () => burstDone }, size, say);
  await burst.done;
  const report = drain.report;
  const result: ScenarioResult = {
    lost: report.lost,
    doubled: report.doubled,
    recovered_s: drain.recoveredAt === null ? null : seconds(drain.recoveredAt - faultEnd),
    drained_s: drain.drainedAt === null ? null : seconds(drain.drainedAt - faultEnd),
    fault_s: seconds(faultEnd - faultStart),
    adjustments: report.adjustments,
    phantom: report.phantom,
    resignalled: report.resignalled,
    redelivered: report.redelivered,
    final_state_mismatches: report.finalStateMismatches,
    worker_crashes: stack.worker.crashes - crashesBefore,
    write_retries: burst.retries,
  };
  if (report.lost > 0) result.lost_by = report.lostBy;
  if (produced.length > 0) {
    const counts = await countPoison(stack.db, stack.kafka, produced);
    const missing = counts.filter((c) => c.rows.length === 0 || c.dlqCopies === 0);
    const repeated = counts.filter((c) => c.rows.length > 1 || c.dlqCopies > 1);
    for (const c of counts) {
      const mark = c.rows.length === 1 && c.dlqCopies === 1 ? '✓' : '✗';
      say(`  ${mark} ${c.poison.name}: ${c.rows.length} dead_letters row(s) [${c.rows.join(', ')}], ${c.dlqCopies} DLQ cop${c.dlqCopies === 1 ? 'y' : 'ies'}`);
    }
    result.lost += missing.length;
    result.doubled += repeated.length;
    result.poison_messages = produced.length;
    result.dead_letters = counts.reduce((sum, c) => sum + c.rows.length, 0);
    result.dlq_copies = counts.reduce((sum, c) => sum + c.dlqCopies, 0);
    result.poison_not_dead_lettered = missing.length;
    result.poison_dead_lettered_twice = repeated.length;
  }
  for (const line of report.examples) say(`  ! ${line}`);
  say(`${name}: ${JSON.stringify(result)}`);
  return result;
}

/** The scenario's own stores, so that scenarios never see each other's adjustments. */
export function drillStoreIds(name: ScenarioName, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `DRILL-${name.toUpperCase().replaceAll('_', '-')}-${i + 1}`);
}

/** The rows a scenario adjusts: each of its stores with the same SKUs. */
async function drillRows(stack: DrillStack, name: ScenarioName, size: DrillSize): Promise<StockRow[]> {
  const stores = drillStoreIds(name, size.stores).map((storeId, i) => ({ storeId, name: `Fault drill ${name} ${i + 1}`, city: 'Drillville' }));
  await stack.db.store.createMany({ data: stores, skipDuplicates: true });
  const items = await stack.db.catalogItem.findMany({ orderBy: { sku: 'asc' }, take: size.skusPerStore, select: { sku: true, reorderPoint: true } });
  if (items.length < size.skusPerStore) throw new Error(`the drill needs ${size.skusPerStore} catalog items; the seed has ${items.length}`);
  return stores.flatMap((store) => items.map((item) => ({ storeId: store.storeId, sku: item.sku, reorderPoint: item.reorderPoint })));
}

interface Drain {
  report: EffectReport;
  recoveredAt: number | null;
  drainedAt: number | null;
}

interface DrainTarget {
  storeIds: string[];
  /** Adjustments committed before the fault ended. */
  backlog: bigint[];
  produced: ProducedPoison[];
  burstDone: () => boolean;
}

/** Polls the effects from the end of the fault: when the backlog has drained, then (the burst over) everything. */
async function waitForDrain(stack: DrillStack, { storeIds, backlog, produced, burstDone }: DrainTarget, size: DrillSize, say: Say): Promise<Drain> {
  let recoveredAt: number | null = null;
  let lastProgressAt = Date.now();
  let lastSaidAt = 0;
  let lastApplied = -1;
  for (;;) {
    // Before reading the effects, so that a read after the burst's end sees all of its adjustments.
    const burstOver = burstDone();
    let report: EffectReport;
    try {
      report = await checkEffects(stack.db, storeIds);
    } catch (err) {
      if (Date.now() - lastProgressAt > size.stallMs) throw err;
      // A pooled connection from before a Postgres restart: the next poll gets a fresh one.
      say(`  ! reading the effects failed (${err instanceof Error ? err.message : String(err)}); retrying`);
      await sleep(POLL_MS);
      continue;
    }
    const now = Date.now();
    if (recoveredAt === null && backlog.every((id) => report.applied.has(id))) recoveredAt = now;
    const poisonRows = produced.length === 0 ? [] : await deadLetterRows(stack.db, produced);
    const poisonPending = poisonRows.filter((rows) => rows.length === 0).length;
    const settled = burstOver && report.lost === 0 && report.finalStateMismatches === 0 && poisonPending === 0;
    if (settled) return { report, recoveredAt: recoveredAt ?? now, drainedAt: now };

    const progress = report.applied.size + poisonRows.length - poisonPending;
    if (progress !== lastApplied) {
      lastApplied = progress;
      lastProgressAt = now;
    }
    if (now - lastSaidAt >= PROGRESS_EVERY_MS) {
      lastSaidAt = now;
      const poisonNote = produced.length > 0 ? `, poison not yet dead-lettered ${poisonPending}/${produced.length}` : '';
      say(`  draining: ${report.applied.size}/${report.adjustments} applied, final-state mismatches ${report.finalStateMismatches}${poisonNote}`);
    }
    // Only once the burst is over: while it runs, a down worker applies nothing for as long as it is down.
    if (!burstOver) lastProgressAt = now;
    if (now - lastProgressAt > size.stallMs) {
      say(`  ! nothing new applied for ${seconds(size.stallMs)} s: counting what is missing as lost`);
      return { report, recoveredAt, drainedAt: null };
    }
    await sleep(POLL_MS);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => Math.round(ms / 100) / 10;
