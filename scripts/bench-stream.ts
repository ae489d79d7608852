import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Admin } from 'kafkajs';
import pg from 'pg';
import { z } from 'zod';
import type { PrismaClient } from '../server/db/generated/client.ts';
import type { ChangefeedTable } from '../server/stream/tables.ts';
import { cpuSpent, sampleCpu, serviceName, type CpuSample } from './bench-kit/cpu.ts';
import { startWorker } from './stack/app.ts';
import { percentiles, startBenchRun } from './stack/bench.ts';
import { dataRoot } from './stack/paths.ts';
import { startServices } from './stack/services.ts';
import { waitFor } from './stack/supervisor.ts';
import { seedStoresAndItems } from './bench-kit/catalog.ts';

/**
 * `npm run bench:stream`: the inventory change stream on real services it starts itself (own ports and data
 * dir), driven through the real write path (server/inventory/stock.ts) and real worker processes
 * (worker/main.ts): Postgres commit → pgoutput → relay → Kafka → processor → sub-processors → SignalWithStart
 * → stream workflow → batch activity → database.
 *
 * 1. latency: an open-loop 200 changes/s (scheduled by the clock, never waiting for the previous change), each
 *    selling out or restocking one of 2,000 keys in 10 stores, so every change flips catalog_availability. Timed from the
 *    write's commit to the flip's commit, both read from Postgres (track_commit_timestamp): no polling error.
 *    BENCH_LATENCY_RATES=10,50,100 adds a run at each of those rates on fresh keys (`latency_by_rate`, with CPU-ms
 *    per change): the lowest rate shows the path itself, the climb shows the queueing.
 * 2. burst: 10,000 single-row transactions from 20 concurrent writers over 2,000 keys in 10 stores.
 *    drain_s: first commit → the last outcome, effect-ledger row or availability flip committed, once every
 *    change has an outcome per sub-processor, every signalled outcome its stream_applied row, and availability
 *    matches the final stock. relay_burst_s: first commit → the topic's end offsets (what Kafka acknowledged)
 *    include every change. lost / double_applied are counted per change against the commits' own timestamps.
 *    BENCH_WORKERS=2 runs it again, on fresh keys, with a second worker process: `burst_workers_2`.
 *    BENCH_BURST_ROUNDS=N (default 1) alternates the two N times (one worker, two, one, two…: the shared host's
 *    load then falls on both alike) and reports each one's median round by drain_s (lost and double_applied summed
 *    over all rounds), every round in `burst_rounds`.
 * 3. relay: the relay alone (workers stopped) on a backlog of single-row transactions in the slot:
 *    relay_rows_per_s from Kafka acknowledging the first row to acknowledging the last (its CPU time beside it).
 * The last line is JSON: {"latency_ms":{p50,p95,p99},"burst":{count,drain_s,relay_burst_s,lost,double_applied,…},
 * "relay_rows_per_s":…, …details}.
 */
const settings = z
  .object({
    BENCH_RATE: z.coerce.number().positive().default(200),
    BENCH_LATENCY_CHANGES: z.coerce.number().int().positive().default(2000),
    /** Untimed changes first, at the same rate: they start each shard's workflows. */
    BENCH_LATENCY_WARMUP: z.coerce.number().int().min(0).default(400),
    /**
     * More open-loop rates (comma list, e.g. "10,50,100"), each on fresh keys after the main latency phase:
     * `latency_by_rate` shows how the latency grows with the rate, i.e. what is path and what is queueing.
     */
    BENCH_LATENCY_RATES: z
      .string()
      .default('')
      .transform((value) => value.split(',').map((rate) => rate.trim()).filter(Boolean).map(Number))
      .pipe(z.array(z.number().positive())),
    /** Timed changes per extra rate (its warm-up is a fifth of that). */
    BENCH_LATENCY_RATE_CHANGES: z.coerce.number().int().positive().default(500),
    BENCH_BURST: z.coerce.number().int().positive().default(10_000),
    BENCH_WRITERS: z.coerce.number().int().positive().default(20),
    BENCH_WORKERS: z.coerce.number().int().min(1).max(2).default(1),
    BENCH_BURST_ROUNDS: z.coerce.number().int().min(1).max(5).default(1),
    BENCH_RELAY_ROWS: z.coerce.number().int().positive().default(20_000),
    /** KAFKA_TOPIC_PARTITIONS for the topics the stack creates; unset keeps the worker's default. */
    BENCH_PARTITIONS: z.coerce.number().int().positive().optional(),
    BENCH_DRAIN_TIMEOUT_S: z.coerce.number().positive().default(300),
    /** A directory: worker processes write V8 CPU profiles there (node --cpu-prof) when they stop. */
    BENCH_PROFILE: z.string().min(1).optional(),
    /** Keep the stack up this long after the phases, to look around (Ctrl-C tears it down). */
    BENCH_HOLD_S: z.coerce.number().min(0).default(0),
    /** Which phases run (comma list of latency, burst, relay). */
    BENCH_PHASES: z
      .string()
      .default('latency,burst,relay')
      .transform((value) => value.split(',').map((phase) => phase.trim()))
      .pipe(z.array(z.enum(['latency', 'burst', 'relay']))),
  })
  .parse(process.env);
const phases = new Set(settings.BENCH_PHASES);

const dataDir = path.join(dataRoot, 'bench-stream');
const STORES = 10;
const SKUS = 200;
const SLOT = 'bench_stream';
const GROUP_PREFIX = 'bench-stream';
const TABLE = 'inventory_levels';
const actor = { id: 'bench', role: 'associate' } as const;

const sku = (n: number) => `BENCH-${String(n + 1).padStart(4, '0')}`;
/** Store prefixes of the latency keys: the main rate's, then one per extra rate. */
const ladderPrefix = (n: number) => `L${n + 1}`;
const latencyPrefixes = ['BL', ...settings.BENCH_LATENCY_RATES.map((_, n) => ladderPrefix(n))];
const storesOf = (prefix: string) => Array.from({ length: STORES }, (_, n) => `${prefix}-${String(n + 1).padStart(2, '0')}`);
const rowKey = (storeId: string, item: string) => JSON.stringify([storeId, item]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
/** A row version's commit time in µs since the epoch, as text (exact; a JS number would round it). */
const commitMicros = (alias: string) => `(extract(epoch FROM pg_xact_commit_timestamp(${alias}.xmin)) * 1000000)::bigint::text`;

interface Key {
  storeId: string;
  sku: string;
}

interface BurstResult {
  count: number;
  drain_s: number | null;
  relay_burst_s: number | null;
  lost: number;
  double_applied: number;
  drained: boolean;
  commit_s: number;
  writers: number;
  keys: number;
  stores: number;
  workers: number;
  outcomes: number;
  signalled: number;
  dead_lettered: number;
  inconsistent_availability: number;
  /** CPU seconds from the first write until drained, per process tree; `other` is the rest of the host. */
  cpu_s: Record<string, number>;
}

/**
 * The round with the median drain_s (the lower middle of an even count; one that never drained counts as slowest),
 * with `lost` and `double_applied` summed over every round, so no round's loss hides behind the median.
 */
function medianRound(rounds: BurstResult[]): BurstResult {
  const sorted = [...rounds].sort((a, b) => (a.drain_s ?? Infinity) - (b.drain_s ?? Infinity));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const sum = (pick: (round: BurstResult) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  return { ...median, lost: sum((round) => round.lost), double_applied: sum((round) => round.double_applied) };
}

const roundSummary = ({ drain_s, relay_burst_s, commit_s, lost, double_applied }: BurstResult) => ({ drain_s, relay_burst_s, commit_s, lost, double_applied });

async function main(): Promise<void> {
  const bench = startBenchRun('bench:stream', dataDir);
  const { supervisor, cleanups, teardown } = bench;
  // A stray rejection must not exit without stopping the services and workers this run started.
  process.on('unhandledRejection', (err) => {
    console.error('bench:stream failed (unhandled):', err);
    void teardown().finally(() => process.exit(1));
  });
  supervisor.onUnexpectedExit((name, code) => {
    console.error(`bench:stream: ${name} exited unexpectedly (code ${code}); see ${path.join(dataDir, 'logs')}`);
    void teardown().finally(() => process.exit(1));
  });

  try {
    console.log('bench:stream: starting Postgres, Kafka and Temporal on bench ports');
    const services = (bench.services = await startServices(supervisor, {
      dataDir,
      ports: { console: 0, postgres: 48433, kafka: 48092, kafkaController: 48093, temporal: 48233, temporalUi: undefined, sandbox: 0 },
      persistentTemporal: false,
      withTestServer: false,
    }));
    Object.assign(process.env, services.env, { LOG_LEVEL: 'warn', STREAM_FAULT_DRILLS: 'off' });
    if (settings.BENCH_PARTITIONS) process.env.KAFKA_TOPIC_PARTITIONS = String(settings.BENCH_PARTITIONS);
    const connectionString = services.env.DATABASE_URL ?? '';

    const { prepareDatabase } = await import('./stack/database.ts');
    await prepareDatabase();
    const { PrismaPg } = await import('@prisma/adapter-pg');
    const { PrismaClient: Prisma } = await import('../server/db/generated/client.ts');
    const { kafkaAdmin } = await import('../server/kafka/client.ts');
    const { temporal } = await import('../server/temporal/client.ts');
    const { TASK_QUEUES } = await import('../server/temporal/contract.ts');
    const { changefeedTables } = await import('../server/stream/tables.ts');
    const { subProcessorsByTable } = await import('../server/stream/registry.ts');

    const pool = new pg.Pool({ connectionString, max: 4 });
    // Idle clients see Postgres stop at teardown; that is not a failure of the run.
    pool.on('error', () => undefined);
    // The writers' own client: 20 concurrent interactive transactions need 20 connections.
    const writerPool = new pg.Pool({ connectionString, max: settings.BENCH_WRITERS + 5 });
    writerPool.on('error', () => undefined);
    const writerDb: PrismaClient = new Prisma({
      adapter: new PrismaPg(writerPool),
      // On a loaded 2-core host Prisma's 2 s default wait for a connection can run out; a failed write would end the run.
      transactionOptions: { maxWait: 15_000, timeout: 30_000 },
    });
    await Promise.all(Array.from({ length: settings.BENCH_WRITERS }, () => writerDb.$queryRaw`SELECT 1`));
    cleanups.push(() => pool.end());
    cleanups.push(() => writerDb.$disconnect());
    const admin = await kafkaAdmin();
    const tables = Object.keys(changefeedTables) as ChangefeedTable[];
    const levelSubProcessors = subProcessorsByTable.inventory_levels.map((sp) => sp.name);

    console.log('bench:stream: seeding bench stores and SKUs');
    const burstPrefixes = (kind: 'B' | 'W') => Array.from({ length: settings.BENCH_BURST_ROUNDS }, (_, round) => (round === 0 ? `${kind === 'B' ? 'BB' : 'BW'}` : `${kind}${round + 1}`));
    await seed(pool, [...latencyPrefixes, 'BR', ...burstPrefixes('B'), ...burstPrefixes('W')]);

    const workerEnv = {
      ...process.env,
      CDC_SLOT_NAME: SLOT,
      CDC_PUBLICATION_NAME: SLOT,
      PROCESSOR_GROUP_PREFIX: GROUP_PREFIX,
      // No resolved messages: the topic's end offsets then count exactly the changes Kafka acknowledged.
      CDC_RESOLVED_INTERVAL_MS: String(60 * 60 * 1000),
      WORKER_METRICS_ADDRESS: undefined,
    };
    const workers: { name: string; proc: ChildProcess; exit: Promise<number | null> }[] = [];
    const spawnWorker = (roles: string) => {
      const name = `worker-${workers.length + 1}`;
      const proc = startWorker(supervisor, {
        env: { ...workerEnv, WORKER_ROLES: roles, KAFKA_CLIENT_ID: `bench-${name}` },
        output: path.join(dataDir, 'logs', `${name}.log`),
        nodeArgs: settings.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(settings.BENCH_PROFILE)}`] : [],
      });
      const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      workers.push({ name, proc, exit });
      console.log(`bench:stream: started ${name} (WORKER_ROLES=${roles}); log in ${path.relative(process.cwd(), path.join(dataDir, 'logs', `${name}.log`))}`);
    };
    const cpuRoots = () => {
      const roots = new Map<number, string>([[process.pid, 'bench (writers)']]);
      for (const worker of workers) if (worker.proc.pid) roots.set(worker.proc.pid, worker.name);
      for (const pid of supervisor.pids) if (!roots.has(pid) && fs.existsSync(`/proc/${pid}/cmdline`)) roots.set(pid, serviceName(pid));
      return roots;
    };
    const cpu: CpuMeter = { sample: sampleCpu, since: (before) => cpuSpent(before, sampleCpu(), cpuRoots()) };
    const groupIds = tables.map((table) => `${GROUP_PREFIX}.${table}`);
    const waitForWorkers = async (count: number) => {
      const started = performance.now();
      await waitFor(
        `${count} worker process(es) in the consumer groups and polling the stream task queue`,
        async () => {
          const { groups } = await admin.describeGroups(groupIds);
          if (!groups.every((group) => group.state === 'Stable' && group.members.length === count)) return false;
          const queues = await Promise.all(
            [1, 2].map((taskQueueType) =>
              temporal().workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: TASK_QUEUES.stream, kind: 1 }, taskQueueType }),
            ),
          );
          if (!queues.every((queue) => new Set(queue.pollers.map((poller) => poller.identity)).size >= count)) return false;
          const { rows } = await pool.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [SLOT]);
          return rows[0]?.active === true;
        },
        { timeoutMs: 240_000, intervalMs: 500 },
      );
      console.log(`bench:stream: ${count} worker process(es) consuming and polling after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    };

    // The host is shared: its load before and after says how far to trust the figures.
    const result: Record<string, unknown> = { load_avg_at_start: os.loadavg().map((load) => round(load, 2)) };
    if (phases.has('latency') || phases.has('burst')) {
      spawnWorker('relay,processors,stream-worker,default-worker,cardlink-worker');
      await waitForWorkers(1);
    }

    if (phases.has('latency')) {
      const latency = await latencyPhase(pool, writerDb, levelSubProcessors, cpu, {
        rate: settings.BENCH_RATE,
        changes: settings.BENCH_LATENCY_CHANGES,
        warmup: settings.BENCH_LATENCY_WARMUP,
        prefix: 'BL',
      });
      result.latency_ms = latency.visible;
      result.latency_detail = latency.detail;
      if (settings.BENCH_LATENCY_RATES.length > 0) {
        const byRate: Record<string, unknown> = {};
        for (const [n, rate] of settings.BENCH_LATENCY_RATES.entries()) {
          const changes = settings.BENCH_LATENCY_RATE_CHANGES;
          const warmup = Math.ceil(changes / 5);
          const run = await latencyPhase(pool, writerDb, levelSubProcessors, cpu, { rate, changes, warmup, prefix: ladderPrefix(n) });
          const cpuTotal = Object.values(run.detail.cpu_s).reduce((sum, seconds) => sum + seconds, 0);
          byRate[String(rate)] = {
            ...run.visible,
            rate_per_s: run.detail.rate_per_s,
            outcome_recorded_ms: run.detail.outcome_recorded_ms,
            effect_applied_ms: run.detail.effect_applied_ms,
            cpu_ms_per_change: round((cpuTotal * 1000) / (changes + warmup)),
            cpu_s: run.detail.cpu_s,
          };
        }
        result.latency_by_rate = byRate;
      }
    }
    if (phases.has('burst')) {
      const one: BurstResult[] = [];
      const two: BurstResult[] = [];
      for (let round = 0; round < settings.BENCH_BURST_ROUNDS; round++) {
        if (round > 0 && settings.BENCH_WORKERS === 2) {
          const second = workers.pop()!;
          await supervisor.stopChild(second.proc, 20_000);
          await second.exit;
          await waitForWorkers(1);
        }
        one.push(await burstPhase({ pool, writerDb, admin, prefix: burstPrefixes('B')[round]!, workers: 1, levelSubProcessors, cpu }));
        if (settings.BENCH_WORKERS === 2) {
          spawnWorker('processors,stream-worker');
          await waitForWorkers(2);
          two.push(await burstPhase({ pool, writerDb, admin, prefix: burstPrefixes('W')[round]!, workers: 2, levelSubProcessors, cpu }));
        }
      }
      result.burst = medianRound(one);
      if (two.length > 0) result.burst_workers_2 = medianRound(two);
      if (settings.BENCH_BURST_ROUNDS > 1) result.burst_rounds = { workers_1: one.map(roundSummary), workers_2: two.map(roundSummary) };
    }

    if (settings.BENCH_HOLD_S > 0) {
      console.log(`bench:stream: holding the stack for ${settings.BENCH_HOLD_S} s (BENCH_HOLD_S), e.g. for \`temporal workflow show --address 127.0.0.1:48233\``);
      await sleep(settings.BENCH_HOLD_S * 1000);
    }
    console.log('bench:stream: stopping the worker processes (SIGTERM)');
    for (const worker of [...workers].reverse()) {
      await supervisor.stopChild(worker.proc, 20_000);
      const code = await worker.exit;
      if (code !== 0) throw new Error(`${worker.name} did not shut down cleanly on SIGTERM (exit ${code})`);
    }

    if (phases.has('relay')) {
      const relay = await relayPhase(pool, connectionString, tables);
      result.relay_rows_per_s = relay.rowsPerSecond;
      result.relay_detail = relay;
    }

    result.partitions = (await admin.fetchTopicMetadata({ topics: [TABLE] })).topics[0]?.partitions.length;
    result.load_avg_at_end = os.loadavg().map((load) => round(load, 2));
    await teardown();
    console.log(JSON.stringify(result));
    process.exit(0);
  } catch (err) {
    console.error('bench:stream failed:', err);
    await teardown();
    process.exit(1);
  }
}

/** Stores `<prefix>-01…10`, SKUs BENCH-0001…0200, a level for every pair and availability to match. */
async function seed(pool: pg.Pool, prefixes: string[]): Promise<void> {
  const stores = prefixes.flatMap(storesOf);
  const skus = Array.from({ length: SKUS }, (_, n) => sku(n));
  await seedStoresAndItems(pool, stores, skus);
  // Latency keys start in stock (each change then alternates sold out / restocked); the rest anywhere in 0…20.
  await pool.query(
    `INSERT INTO inventory_levels (store_id, sku, on_hand, updated_at)
     SELECT s, k, CASE WHEN split_part(s, '-', 1) = ANY($3::text[]) THEN 10 ELSE floor(random() * 21)::int END, now()
     FROM unnest($1::text[]) s CROSS JOIN unnest($2::text[]) k
     ON CONFLICT DO NOTHING`,
    [stores, skus, latencyPrefixes],
  );
  await pool.query(
    `INSERT INTO catalog_availability (store_id, sku, available, updated_at)
     SELECT store_id, sku, on_hand > 0, now() FROM inventory_levels WHERE store_id = ANY($1::text[])
     ON CONFLICT DO NOTHING`,
    [stores],
  );
}

// ─── Where the CPU went ───────────────────────────────────────────────────────────────────────────────

interface CpuMeter {
  sample(): CpuSample;
  since(before: CpuSample): Record<string, number>;
}

// ─── 1. Latency at a steady open-loop rate ─────────────────────────────────────────────────────────────

interface Timed {
  key: Key;
  /** Bench clock when the write was scheduled to start. */
  dueAt: number;
  measured: boolean;
  expectAvailable: boolean;
}

interface LatencyRun {
  rate: number;
  changes: number;
  warmup: number;
  /** Store prefix of the run's own keys (seeded in stock). */
  prefix: string;
}

async function latencyPhase(pool: pg.Pool, writerDb: PrismaClient, levelSubProcessors: string[], cpu: CpuMeter, run: LatencyRun) {
  const { adjustStock } = await import('../server/inventory/stock.ts');
  const { formatHlc } = await import('../server/stream/envelope.ts');
  const total = run.warmup + run.changes;
  const intervalMs = 1000 / run.rate;
  const stores = storesOf(run.prefix);
  // Consecutive changes go to different stores (shards), and each key comes round every 2,000 changes (10 s at 200/s).
  const keys: Key[] = Array.from({ length: STORES * SKUS }, (_, n) => ({ storeId: stores[n % STORES] ?? '', sku: sku(Math.floor(n / STORES)) }));
  const onHand = new Map(keys.map((key) => [rowKey(key.storeId, key.sku), 10]));
  console.log(
    `bench:stream: latency: ${run.warmup} warm-up + ${run.changes} timed changes at ${run.rate}/s (open loop), each flipping availability`,
  );

  /** Written and waiting for its flip, by row key. */
  const pending = new Map<string, Timed>();
  const visible: number[] = [];
  const samples: { id: string; commitUs: bigint; visibleMs: number }[] = [];
  let unmeasured = 0;
  let writing = true;
  let lateStarts = 0;
  const failures: unknown[] = [];
  const since = new Date(Date.now() - 1000);

  const poll = async () => {
    while (writing || pending.size > 0) {
      await sleep(50);
      if (pending.size === 0) continue;
      const waiting = [...pending.values()];
      const { rows } = await pool.query<{ store_id: string; sku: string; written_us: string; available: boolean; flipped_us: string | null }>(
        `SELECT l.store_id, l.sku, ${commitMicros('l')} AS written_us, ca.available, ${commitMicros('ca')} AS flipped_us
         FROM unnest($1::text[], $2::text[]) AS k(store_id, sku)
         JOIN inventory_levels l ON l.store_id = k.store_id AND l.sku = k.sku
         JOIN catalog_availability ca ON ca.store_id = k.store_id AND ca.sku = k.sku`,
        [waiting.map((t) => t.key.storeId), waiting.map((t) => t.key.sku)],
      );
      for (const row of rows) {
        const id = rowKey(row.store_id, row.sku);
        const timed = pending.get(id);
        if (!timed || row.available !== timed.expectAvailable || row.flipped_us === null) continue;
        const writtenUs = BigInt(row.written_us);
        const flippedUs = BigInt(row.flipped_us);
        if (flippedUs < writtenUs) continue;
        pending.delete(id);
        if (!timed.measured) continue;
        const ms = Number(flippedUs - writtenUs) / 1000;
        visible.push(ms);
        samples.push({ id: `${id}@${formatHlc({ wall: writtenUs * 1000n, logical: 0 })}`, commitUs: writtenUs, visibleMs: ms });
      }
      const stuck = [...pending.values()].filter((t) => performance.now() - t.dueAt > 30_000);
      for (const t of stuck) {
        pending.delete(rowKey(t.key.storeId, t.key.sku));
        if (t.measured) unmeasured += 1;
      }
    }
  };
  const polling = poll();

  const writes: Promise<void>[] = [];
  const cpuBefore = cpu.sample();
  const startAt = performance.now() + 20;
  for (let i = 0; i < total; i++) {
    const dueAt = startAt + i * intervalMs;
    const wait = dueAt - performance.now();
    if (wait > 1) await sleep(wait);
    else if (wait < -intervalMs) lateStarts += 1;
    const key = keys[i % keys.length] as Key;
    const id = rowKey(key.storeId, key.sku);
    const current = onHand.get(id) ?? 0;
    const soldOut = current > 0;
    const delta = soldOut ? -current : 10;
    onHand.set(id, current + delta);
    const timed: Timed = { key, dueAt, measured: i >= run.warmup, expectAvailable: !soldOut };
    // Its previous change is still not visible after a whole round of keys: that one goes unmeasured.
    if (pending.has(id)) {
      if (pending.get(id)?.measured) unmeasured += 1;
      pending.delete(id);
    }
    writes.push(
      adjustStock(writerDb, { storeId: key.storeId, sku: key.sku, delta, reason: soldOut ? 'sale' : 'receive' }, actor).then(
        () => void pending.set(id, timed),
        (err: unknown) => {
          // Not committed: the key keeps its stock, and the change is reported as a failed write.
          failures.push(err);
          onHand.set(id, current);
        },
      ),
    );
    if ((i + 1) % Math.max(1, Math.round(run.rate)) === 0) {
      const recent = percentiles(visible.slice(-Math.max(1, Math.round(run.rate))));
      console.log(`  ${i + 1}/${total} changes written; ${pending.size} awaiting their flip; last second p50 ${recent.p50} ms, p99 ${recent.p99} ms`);
    }
  }
  const writtenIn = (performance.now() - startAt) / 1000;
  const measuredFrom = Date.now() - (run.changes * intervalMs);
  await Promise.all(writes);
  writing = false;
  await polling;
  const cpuSeconds = cpu.since(cpuBefore);
  if (failures.length > 0) console.warn(`bench:stream: latency: ${failures.length} of ${total} writes failed, e.g.`, failures[0]);

  // Where the time went, per timed change: commit → outcome recorded (the processor signalled the workflow),
  // → effect-ledger row (the batch activity applied it), → the flip visible.
  const stage = async (sql: string) => {
    const { rows } = await pool.query<{ id: string; at_us: string }>(sql, [since]);
    return new Map(rows.map((row) => [row.id, BigInt(row.at_us)]));
  };
  const [signalled, applied] = await Promise.all([
    stage(
      `SELECT o.row_key || '@' || o.updated AS id, ${commitMicros('o')} AS at_us FROM change_outcomes o
       WHERE o.sub_processor = '${levelSubProcessors[0]}' AND o.table_name = '${TABLE}' AND o.created_at >= $1 AND o.row_key LIKE '["${run.prefix}-%'`,
    ),
    stage(
      `SELECT substr(a.message_id, length('${TABLE}:') + 1) AS id, ${commitMicros('a')} AS at_us FROM stream_applied a
       WHERE a.sub_processor = '${levelSubProcessors[0]}' AND a.applied_at >= $1 AND a.message_id LIKE '${TABLE}:["${run.prefix}-%'`,
    ),
  ]);
  const since_ = (stages: Map<string, bigint>) =>
    samples.flatMap((sample) => {
      const at = stages.get(sample.id);
      return at === undefined ? [] : [Number(at - sample.commitUs) / 1000];
    });
  const slowest = [...samples].sort((a, b) => b.visibleMs - a.visibleMs).slice(0, 5);
  const temporal = await temporalStages(measuredFrom);
  const detail = {
    changes: run.changes,
    warmup: run.warmup,
    rate_per_s: round(total / writtenIn),
    late_starts: lateStarts,
    failed_writes: failures.length,
    unmeasured,
    max_ms: round(Math.max(...visible)),
    outcome_recorded_ms: percentiles(since_(signalled)),
    effect_applied_ms: percentiles(since_(applied)),
    temporal_ms: temporal,
    cpu_s: cpuSeconds,
    slowest: slowest.map((sample) => ({
      id: sample.id,
      visible_ms: round(sample.visibleMs),
      outcome_ms: signalled.has(sample.id) ? round(Number((signalled.get(sample.id) ?? 0n) - sample.commitUs) / 1000) : null,
      applied_ms: applied.has(sample.id) ? round(Number((applied.get(sample.id) ?? 0n) - sample.commitUs) / 1000) : null,
      commit_at: new Date(Number(sample.commitUs / 1000n)).toISOString(),
    })),
  };
  const result = { visible: percentiles(visible), detail };
  console.log('bench:stream: latency commit → availability flipped (ms):', result.visible, `(${visible.length} timed, ${unmeasured} never seen)`);
  console.log('  commit → outcome recorded (ms):', detail.outcome_recorded_ms, ' commit → effect applied (ms):', detail.effect_applied_ms);
  console.log('  inside Temporal (ms):', detail.temporal_ms);
  console.log('  CPU seconds spent meanwhile:', detail.cpu_s);
  return result;
}

/**
 * Where the stream workflows spent the timed window, from their histories: a workflow task waiting to be
 * picked up (dispatch) and being worked (run), an activity waiting to start and running, and a signal waiting
 * for the workflow task that reads it.
 */
async function temporalStages(fromMs: number) {
  const { temporal } = await import('../server/temporal/client.ts');
  const { WORKFLOW_TYPES } = await import('../server/temporal/contract.ts');
  const { tsToMs } = await import('@temporalio/common');
  // temporal.api.enums.v1.EventType values; @temporalio/proto is not a direct dependency.
  const EVENT = { wftScheduled: 5, wftStarted: 6, wftCompleted: 7, activityScheduled: 10, activityStarted: 11, activityCompleted: 12, signaled: 26 } as const;
  const gaps = { signal_to_workflow_task: [] as number[], workflow_task_dispatch: [] as number[], workflow_task_run: [] as number[], activity_dispatch: [] as number[], activity_run: [] as number[] };
  for await (const execution of temporal().workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPES.streamProcessing}'` })) {
    const history = await temporal().workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    const at = new Map<number, number>();
    const pendingSignals: number[] = [];
    for (const event of history.events ?? []) {
      const id = Number(event.eventId);
      const time = tsToMs(event.eventTime);
      at.set(id, time);
      if (time < fromMs) continue;
      const since = (scheduledId: unknown) => time - (at.get(Number(scheduledId)) ?? time);
      switch (Number(event.eventType)) {
        case EVENT.signaled:
          pendingSignals.push(time);
          break;
        case EVENT.wftStarted:
          gaps.workflow_task_dispatch.push(since(event.workflowTaskStartedEventAttributes?.scheduledEventId));
          for (const signalledAt of pendingSignals.splice(0)) gaps.signal_to_workflow_task.push(time - signalledAt);
          break;
        case EVENT.wftCompleted:
          gaps.workflow_task_run.push(since(event.workflowTaskCompletedEventAttributes?.startedEventId));
          break;
        case EVENT.activityStarted:
          gaps.activity_dispatch.push(since(event.activityTaskStartedEventAttributes?.scheduledEventId));
          break;
        case EVENT.activityCompleted:
          gaps.activity_run.push(since(event.activityTaskCompletedEventAttributes?.startedEventId));
          break;
      }
    }
  }
  return Object.fromEntries(Object.entries(gaps).map(([name, values]) => [name, percentiles(values)]));
}

// ─── 2. Burst ───────────────────────────────────────────────────────────────────────────────────────────

interface BurstOptions {
  pool: pg.Pool;
  writerDb: PrismaClient;
  admin: Admin;
  /** Its own stores, so each burst is audited alone. */
  prefix: string;
  workers: number;
  levelSubProcessors: string[];
  cpu: CpuMeter;
}

async function burstPhase({ pool, writerDb, admin, prefix, workers, levelSubProcessors, cpu }: BurstOptions): Promise<BurstResult> {
  const { adjustStock } = await import('../server/inventory/stock.ts');
  const count = settings.BENCH_BURST;
  const writersCount = settings.BENCH_WRITERS;
  const stores = storesOf(prefix);
  const keys: Key[] = stores.flatMap((storeId) => Array.from({ length: SKUS }, (_, n) => ({ storeId, sku: sku(n) })));
  const { rows: levels } = await pool.query<{ store_id: string; sku: string; on_hand: number }>(
    'SELECT store_id, sku, on_hand FROM inventory_levels WHERE store_id = ANY($1::text[])',
    [stores],
  );
  const onHand = new Map(levels.map((level) => [rowKey(level.store_id, level.sku), level.on_hand]));
  const keyPattern = `["${prefix}-%`;
  const since = new Date(Date.now() - 1000);
  const label = `burst (${workers} worker${workers > 1 ? 's' : ''})`;
  console.log(`bench:stream: ${label}: ${count} single-row transactions, ${writersCount} writers, ${keys.length} keys in ${stores.length} stores (${new Date().toISOString()})`);

  const endOffsets = async () => (await admin.fetchTopicOffsets(TABLE)).reduce((sum, partition) => sum + Number(partition.high), 0);
  const startOffset = await endOffsets();
  let relayed = 0;
  let relayAckedAtMs: number | null = null;
  let writing = true;
  let lastCommitAtMs = Date.now();
  const watchOffsets = (async () => {
    // Kafka's end offsets move only when it has acknowledged a write (acks=all); polled every 50 ms.
    while (relayAckedAtMs === null && (writing || Date.now() - lastCommitAtMs < settings.BENCH_DRAIN_TIMEOUT_S * 1000)) {
      relayed = (await endOffsets()) - startOffset;
      if (relayed >= count) relayAckedAtMs = Date.now();
      else await sleep(50);
    }
  })();

  let issued = 0;
  let committed = 0;
  const cpuBefore = cpu.sample();
  const writeStarted = performance.now();
  const writers = Array.from({ length: writersCount }, async (_, w) => {
    // Each writer owns its keys, so it always knows their stock and never asks for more than is there.
    const own = keys.filter((_, n) => n % writersCount === w);
    while (issued < count) {
      issued += 1;
      const key = own[Math.floor(Math.random() * own.length)] as Key;
      const id = rowKey(key.storeId, key.sku);
      const current = onHand.get(id) ?? 0;
      const roll = Math.random();
      const [delta, reason] =
        current === 0 ? [1 + Math.floor(Math.random() * 20), 'receive' as const]
        : roll < 0.25 ? [-current, 'sale' as const]
        : roll < 0.6 ? [-1 - Math.floor(Math.random() * Math.min(current, 3)), 'sale' as const]
        : [1 + Math.floor(Math.random() * 10), 'receive' as const];
      await adjustStock(writerDb, { storeId: key.storeId, sku: key.sku, delta, reason }, actor);
      onHand.set(id, current + delta);
      committed += 1;
      lastCommitAtMs = Date.now();
    }
  });

  const progress = async () => {
    const [[outcomes], [applied]] = await Promise.all([
      pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM change_outcomes WHERE created_at >= $1 AND table_name = '${TABLE}' AND row_key LIKE $2`, [since, keyPattern]).then((r) => r.rows),
      pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM stream_applied WHERE applied_at >= $1 AND message_id LIKE $2`, [since, `${TABLE}:${keyPattern}`]).then((r) => r.rows),
    ]);
    return { outcomes: outcomes?.n ?? 0, applied: applied?.n ?? 0 };
  };
  const report = async () => {
    const { outcomes, applied } = await progress();
    const elapsed = ((performance.now() - writeStarted) / 1000).toFixed(1);
    console.log(`  ${elapsed} s: committed ${committed}/${count}, relayed ${relayed}, outcomes ${outcomes}/${count * levelSubProcessors.length}, applied ${applied}`);
  };
  const ticker = setInterval(() => void report().catch(() => undefined), 2000);

  await Promise.all(writers);
  writing = false;
  const commitSeconds = (performance.now() - writeStarted) / 1000;
  console.log(`  all ${count} committed in ${commitSeconds.toFixed(1)} s; waiting for the pipeline to drain`);

  // Drained: every change has an outcome per sub-processor, every signalled outcome its ledger row, and
  // availability agrees with the final stock.
  const drainDeadline = Date.now() + settings.BENCH_DRAIN_TIMEOUT_S * 1000;
  let drained = false;
  while (Date.now() < drainDeadline) {
    // Counts first (cheap, on created_at / applied_at); the exact per-change check only once they add up.
    const { rows: counts } = await pool.query<{ outcomes: number; signalled: number; applied: number }>(
      `SELECT count(*)::int AS outcomes, (count(*) FILTER (WHERE outcome = 'signalled'))::int AS signalled,
              (SELECT count(*)::int FROM stream_applied WHERE applied_at >= $1 AND message_id LIKE $3) AS applied
       FROM change_outcomes WHERE created_at >= $1 AND table_name = '${TABLE}' AND row_key LIKE $2`,
      [since, keyPattern, `${TABLE}:${keyPattern}`],
    );
    const progress = counts[0];
    if (!progress || progress.outcomes < count * levelSubProcessors.length || progress.applied < progress.signalled) {
      await sleep(500);
      continue;
    }
    const { rows } = await pool.query<{ outcomes: number; unapplied: number; inconsistent: number }>(
      `SELECT
         (SELECT count(DISTINCT (sub_processor, row_key, updated))::int FROM change_outcomes
           WHERE created_at >= $1 AND table_name = '${TABLE}' AND row_key LIKE $2) AS outcomes,
         (SELECT count(*)::int FROM change_outcomes o
           WHERE o.created_at >= $1 AND o.table_name = '${TABLE}' AND o.row_key LIKE $2 AND o.outcome = 'signalled'
             AND NOT EXISTS (SELECT 1 FROM stream_applied a WHERE a.sub_processor = o.sub_processor AND a.message_id = o.table_name || ':' || o.row_key || '@' || o.updated)) AS unapplied,
         (SELECT count(*)::int FROM inventory_levels l LEFT JOIN catalog_availability ca ON ca.store_id = l.store_id AND ca.sku = l.sku
           WHERE l.store_id = ANY($3::text[]) AND ca.available IS DISTINCT FROM (l.on_hand > 0)) AS inconsistent`,
      [since, keyPattern, stores],
    );
    const state = rows[0];
    if (state && state.outcomes >= count * levelSubProcessors.length && state.unapplied === 0 && state.inconsistent === 0) {
      drained = true;
      break;
    }
    await sleep(500);
  }
  clearInterval(ticker);
  const cpuSeconds = cpu.since(cpuBefore);
  await watchOffsets;
  await report();
  console.log(`  drain check done (${new Date().toISOString()})`);

  const audit = await auditBurst(pool, { prefix, since, stores, levelSubProcessors });
  const drainEndUs = audit.lastEffectUs;
  const result: BurstResult = {
    count,
    drain_s: drained && audit.firstCommitUs !== null && drainEndUs !== null ? round(Number(drainEndUs - audit.firstCommitUs) / 1e6, 2) : null,
    relay_burst_s: relayAckedAtMs !== null && audit.firstCommitUs !== null ? round((relayAckedAtMs - Number(audit.firstCommitUs / 1000n)) / 1000, 2) : null,
    lost: audit.lost,
    double_applied: audit.doubleApplied,
    drained,
    commit_s: round(commitSeconds, 2),
    writers: writersCount,
    keys: keys.length,
    stores: stores.length,
    workers,
    outcomes: audit.outcomes,
    signalled: audit.signalled,
    dead_lettered: audit.deadLettered,
    inconsistent_availability: audit.inconsistent,
    cpu_s: cpuSeconds,
  };
  if (audit.commits !== committed) throw new Error(`${label}: ${committed} writes committed but the database holds ${audit.commits} adjustments`);
  console.log(`bench:stream: ${label}:`, result);
  return result;
}

interface BurstAudit {
  commits: number;
  firstCommitUs: bigint | null;
  /** The last outcome, ledger row or availability flip of the burst to commit. */
  lastEffectUs: bigint | null;
  outcomes: number;
  signalled: number;
  lost: number;
  doubleApplied: number;
  deadLettered: number;
  inconsistent: number;
}

/**
 * Every change of the burst, named as the stream names it (row key @ commit timestamp, which is what the
 * relay puts in `updated`), checked for one outcome per sub-processor and, when signalled, one effect-ledger
 * row. A change without either is lost; a second applied/signalled outcome or ledger row is a double.
 */
async function auditBurst(pool: pg.Pool, { prefix, since, stores, levelSubProcessors }: { prefix: string; since: Date; stores: string[]; levelSubProcessors: string[] }): Promise<BurstAudit> {
  const { formatHlc } = await import('../server/stream/envelope.ts');
  const keyPattern = `["${prefix}-%`;
  const [expected, outcomes, ledger, dead, availability] = await Promise.all([
    pool.query<{ store_id: string; sku: string; us: string }>(
      `SELECT a.store_id, a.sku, ${commitMicros('a')} AS us FROM inventory_adjustments a WHERE a.store_id = ANY($1::text[]) AND a.created_at >= $2`,
      [stores, since],
    ),
    pool.query<{ sub_processor: string; row_key: string; updated: string; outcome: string; us: string }>(
      `SELECT o.sub_processor, o.row_key, o.updated, o.outcome::text AS outcome, ${commitMicros('o')} AS us FROM change_outcomes o
       WHERE o.created_at >= $1 AND o.table_name = '${TABLE}' AND o.row_key LIKE $2`,
      [since, keyPattern],
    ),
    pool.query<{ sub_processor: string; message_id: string; us: string }>(
      `SELECT a.sub_processor, a.message_id, ${commitMicros('a')} AS us FROM stream_applied a WHERE a.applied_at >= $1 AND a.message_id LIKE $2`,
      [since, `${TABLE}:${keyPattern}`],
    ),
    pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM dead_letters WHERE created_at >= $1 AND row_key LIKE $2`, [since, keyPattern]),
    pool.query<{ inconsistent: number; last_flip_us: string | null }>(
      `SELECT count(*) FILTER (WHERE ca.available IS DISTINCT FROM (l.on_hand > 0))::int AS inconsistent,
              max(${commitMicros('ca')}::bigint)::text AS last_flip_us
       FROM inventory_levels l LEFT JOIN catalog_availability ca ON ca.store_id = l.store_id AND ca.sku = l.sku
       WHERE l.store_id = ANY($1::text[])`,
      [stores],
    ),
  ]);

  const changes = new Map(expected.rows.map((row) => [`${rowKey(row.store_id, row.sku)}@${formatHlc({ wall: BigInt(row.us) * 1000n, logical: 0 })}`, BigInt(row.us)]));
  const firstCommitUs = changes.size > 0 ? [...changes.values()].reduce((a, b) => (a < b ? a : b)) : null;
  let lastEffectUs = availability.rows[0]?.last_flip_us ? BigInt(availability.rows[0].last_flip_us) : null;
  const later = (us: string) => {
    const value = BigInt(us);
    if (lastEffectUs === null || value > lastEffectUs) lastEffectUs = value;
  };

  const outcomeKinds = new Map<string, string[]>();
  for (const row of outcomes.rows) {
    const id = `${row.sub_processor}|${row.row_key}@${row.updated}`;
    outcomeKinds.set(id, [...(outcomeKinds.get(id) ?? []), row.outcome]);
    later(row.us);
  }
  const ledgerRows = new Map<string, number>();
  for (const row of ledger.rows) {
    const id = `${row.sub_processor}|${row.message_id.slice(TABLE.length + 1)}`;
    ledgerRows.set(id, (ledgerRows.get(id) ?? 0) + 1);
    later(row.us);
  }

  let lost = 0;
  let doubleApplied = 0;
  let signalled = 0;
  for (const change of changes.keys()) {
    let missing = false;
    for (const sp of levelSubProcessors) {
      const kinds = outcomeKinds.get(`${sp}|${change}`) ?? [];
      const effective = kinds.filter((kind) => kind === 'applied' || kind === 'signalled').length;
      const ledgered = ledgerRows.get(`${sp}|${change}`) ?? 0;
      if (kinds.length === 0) missing = true;
      if (kinds.includes('signalled')) {
        signalled += 1;
        if (ledgered === 0) missing = true;
      }
      doubleApplied += Math.max(0, effective - 1) + Math.max(0, ledgered - 1);
    }
    if (missing) lost += 1;
  }
  return {
    commits: changes.size,
    firstCommitUs,
    lastEffectUs,
    outcomes: outcomes.rows.length,
    signalled,
    lost,
    doubleApplied,
    deadLettered: dead.rows[0]?.n ?? 0,
    inconsistent: availability.rows[0]?.inconsistent ?? 0,
  };
}

// ─── 3. The relay alone ─────────────────────────────────────────────────────────────────────────────────

async function relayPhase(pool: pg.Pool, connectionString: string, tables: ChangefeedTable[]) {
  const { startCdcRelay } = await import('../worker/cdc/relay.ts');
  const { ensurePublication, ensureSlot } = await import('../worker/cdc/setup.ts');
  const { kafkaProducer } = await import('../server/kafka/client.ts');
  const { logger } = await import('../server/logger.ts');
  const rows = settings.BENCH_RELAY_ROWS;
  const slotName = 'bench_relay_only';
  console.log(`bench:stream: relay alone: ${rows} single-row transactions queued in a slot, then relayed to Kafka`);

  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await ensurePublication(client, slotName, tables);
    await ensureSlot(client, slotName);
    // The backlog is written before the relay starts, so the relay, not the writers, sets the pace.
    await client.query('SET synchronous_commit = off');
    await client.query(`DO $$ BEGIN
      FOR i IN 0..${rows - 1} LOOP
        UPDATE inventory_levels SET on_hand = on_hand + 1, updated_at = clock_timestamp()
        WHERE store_id = 'BR-' || lpad((i % ${STORES} + 1)::text, 2, '0') AND sku = 'BENCH-' || lpad(((i / ${STORES}) % ${SKUS} + 1)::text, 4, '0');
        COMMIT;
      END LOOP;
    END $$`);
  } finally {
    await client.end();
  }

  const relay = await startCdcRelay({
    connectionString,
    producer: await kafkaProducer(),
    tables,
    slotName,
    publicationName: slotName,
    resolvedIntervalMs: 60 * 60 * 1000,
    log: logger,
  });
  const startedAt = performance.now();
  const cpuBefore = process.cpuUsage();
  // From Kafka's first acknowledgement to its last: the producer's own start (metadata, producer id) is not throughput.
  let first: { at: number; produced: number } | null = null;
  let doneAt: number | null = null;
  try {
    while (performance.now() - startedAt < 120_000) {
      const { messagesProduced } = relay.status();
      if (messagesProduced > 0 && first === null) first = { at: performance.now(), produced: messagesProduced };
      if (messagesProduced >= rows) {
        doneAt = performance.now();
        break;
      }
      await sleep(2);
    }
  } finally {
    await relay.stop();
  }
  // This process runs nothing but the relay now: its CPU time is the relay's cost, whatever else the host runs.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (first === null || doneAt === null || doneAt === first.at) throw new Error(`relay alone: ${relay.status().messagesProduced}/${rows} rows relayed in 120 s`);
  await waitFor('the relay-only slot to be released', async () => {
    const { rows: slots } = await pool.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slotName]);
    if (slots[0]?.active) return false;
    await pool.query('SELECT pg_drop_replication_slot($1)', [slotName]);
    return true;
  });
  const seconds = (doneAt - first.at) / 1000;
  const result = {
    rows,
    seconds: round(seconds, 3),
    rowsPerSecond: Math.round((rows - first.produced) / seconds),
    startSeconds: round((first.at - startedAt) / 1000, 3),
    cpuSeconds: round(cpuSeconds, 3),
    rowsPerCpuSecond: Math.round(rows / cpuSeconds),
  };
  console.log('bench:stream: relay alone:', result);
  return result;
}

void main();
