import os from 'node:os';
import path from 'node:path';
import type { Admin, Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import { z } from 'zod';
import { cpuSpent, readCmdline, sampleCpu, serviceName, type CpuSample } from './bench-kit/cpu.ts';
import { DEBEZIUM_VERSION, ensureDebezium, startDebezium, type DebeziumProcess } from './bench-cdc/debezium.ts';
import { recordBatches } from './bench-cdc/kafka-batches.ts';
import { prepareWriters, write, type Written } from './bench-cdc/writers.ts';
import { percentiles, startBenchRun } from './stack/bench.ts';
import { startKafka } from './stack/kafka.ts';
import { dataRoot, repoRoot } from './stack/paths.ts';
import { assertPortsFree } from './stack/ports.ts';
import { startPostgres } from './stack/postgres.ts';
import { step } from './stack/progress.ts';
import { waitFor } from './stack/supervisor.ts';

/**
 * `npm run bench:cdc`: the DashOps CDC relay (worker/cdc/relay.ts, in this process, as the worker runs it) beside
 * Debezium Embedded (its Postgres connector with pgoutput, in one JVM, each record produced by its own
 * KafkaProducer with linger.ms=0 and acks=all), on a Postgres and a Kafka this bench starts on its own ports.
 * They take turns, never both attached: each turn starts its contestant on a fresh slot of its own and drops the
 * slot afterwards, so neither inherits the other's backlog. Writers run inside Postgres (bench-cdc/writers.ts).
 *
 * 1. latency: an open-loop 1,000 single-row commits/s: one untimed turn each (BENCH_CDC_WARMUP_TURN_S: the JITs
 *    warm up), then BENCH_CDC_ROUNDS turns each (alternating), the first BENCH_CDC_WARMUP_S of each untimed. A turn
 *    starts once a probe change has reached Kafka. Commit → broker append: the commit time each record carries (the relay's
 *    `updated`, Debezium's `source.ts_us`: both pgoutput's commit timestamp, what track_commit_timestamp records)
 *    to the record's LogAppendTime (the bench topics are created with message.timestamp.type=LogAppendTime, so
 *    Kafka stamps each batch as it appends it; millisecond resolution). Read back after each turn, so reading
 *    costs nothing while the contestant runs.
 * 2. throughput: offered rows/s stepped up by BENCH_CDC_STEP_FACTOR from BENCH_CDC_START_RATE, in commits of
 *    BENCH_CDC_ROWS_PER_COMMIT rows; at each step both contestants take a turn of BENCH_CDC_STEP_S. A turn holds
 *    when the slot's lag (pg_current_wal_lsn() − confirmed_flush_lsn) does not grow over the last
 *    BENCH_CDC_JUDGE_S: its floor (the lowest sample, every 200 ms) in the second half of that window is above the
 *    first half's by under 5 % of the WAL written meanwhile. max_rows_per_s is the written rows/s of the highest
 *    step that held (0: not even the first). A step the writers themselves cannot offer (under 90 %) ends the ladder.
 * The last line is JSON: {"dashops":{p50,p99,max_rows_per_s,…},"debezium":{…},"rate_per_s":1000, …}.
 */
const settings = z
  .object({
    BENCH_CDC_RATE: z.coerce.number().positive().default(1000),
    BENCH_CDC_LATENCY_S: z.coerce.number().positive().default(10),
    BENCH_CDC_WARMUP_S: z.coerce.number().min(0).default(3),
    /** One untimed turn each before the first timed one: the JVM's and V8's JIT warm up, as on a long-running host. */
    BENCH_CDC_WARMUP_TURN_S: z.coerce.number().min(0).default(5),
    BENCH_CDC_ROUNDS: z.coerce.number().int().positive().default(2),
    BENCH_CDC_WRITERS: z.coerce.number().int().min(1).max(8).default(8),
    BENCH_CDC_START_RATE: z.coerce.number().positive().default(1000),
    BENCH_CDC_STEP_FACTOR: z.coerce.number().gt(1).default(1.5),
    BENCH_CDC_MAX_RATE: z.coerce.number().positive().default(250_000),
    BENCH_CDC_ROWS_PER_COMMIT: z.coerce.number().int().positive().default(20),
    BENCH_CDC_STEP_S: z.coerce.number().positive().default(10),
    BENCH_CDC_JUDGE_S: z.coerce.number().positive().default(6),
    /** Debezium's poll.interval.ms: how long the engine waits to fill a batch (default 500 there). */
    BENCH_DBZ_POLL_MS: z.coerce.number().int().min(0).default(1),
    /** Debezium's offset.flush.interval.ms: it confirms the LSN to Postgres only when it flushes offsets. */
    BENCH_DBZ_OFFSET_FLUSH_MS: z.coerce.number().int().min(0).default(0),
    /** Which phases run (comma list of latency, throughput). */
    BENCH_CDC_PHASES: z
      .string()
      .default('latency,throughput')
      .transform((value) => value.split(',').map((phase) => phase.trim()))
      .pipe(z.array(z.enum(['latency', 'throughput']))),
  })
  .parse(process.env);
const phases = new Set(settings.BENCH_CDC_PHASES);

const dataDir = path.join(dataRoot, 'bench-cdc');
// Apart from every other stack's (drills use 47xxx, the other benches 48xxx), so it runs beside them.
const PORTS = { postgres: 49433, kafka: 49092, kafkaController: 49093 };
const PARTITIONS = 6;
const TABLES = ['inventory_levels', 'inventory_lots'] as const;
const RELAY_SLOT = 'bench_cdc_relay';
const DEBEZIUM_SLOT = 'bench_cdc_debezium';
const DEBEZIUM_PREFIX = 'dbz';
/** The topic the writers' changes land in, per contestant. */
const TOPICS = { dashops: 'inventory_levels', debezium: `${DEBEZIUM_PREFIX}.public.inventory_levels` } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

type Name = 'dashops' | 'debezium';

/** One side of the comparison, as the phases drive it. */
interface Contestant {
  name: Name;
  slot: string;
  /** Starts streaming from a fresh slot; resolves once the slot is active. */
  start(): Promise<void>;
  /** Change records Kafka acknowledged since the bench started. */
  produced(): Promise<number>;
  /** Stops and drops its slot. */
  stop(): Promise<void>;
  /** Commit time in µs since the epoch carried by one of its records; null for records that carry none. */
  commitMicros(value: string): number | null;
}

interface Context {
  pool: pg.Pool;
  admin: Admin;
  kafka: Kafka;
  /** The broker's log.dirs, to count record batches. */
  kafkaLogDir: string;
  cpuRoots: () => Map<number, string>;
}

async function main(): Promise<void> {
  const bench = startBenchRun('bench:cdc', dataDir);
  const { supervisor, cleanups, teardown } = bench;
  process.on('unhandledRejection', (err) => {
    console.error('bench:cdc failed (unhandled):', err);
    void teardown().finally(() => process.exit(1));
  });
  supervisor.onUnexpectedExit((name, code) => {
    console.error(`bench:cdc: ${name} exited unexpectedly (code ${code}); see ${path.join(dataDir, 'logs')}`);
    void teardown().finally(() => process.exit(1));
  });

  try {
    await assertPortsFree([
      { port: PORTS.postgres, what: 'bench Postgres', envVar: 'nothing (fixed bench port)' },
      { port: PORTS.kafka, what: 'bench Kafka', envVar: 'nothing (fixed bench port)' },
      { port: PORTS.kafkaController, what: 'bench Kafka controller', envVar: 'nothing (fixed bench port)' },
    ]);
    const { classpath } = await ensureDebezium();
    console.log('bench:cdc: starting Postgres and Kafka on bench ports');
    const logDir = path.join(dataDir, 'logs');
    const [postgres, kafkaService] = await Promise.all([
      step(`Postgres on 127.0.0.1:${PORTS.postgres}`, () =>
        startPostgres(supervisor, { port: PORTS.postgres, dataDir: path.join(dataDir, 'postgres'), logFile: path.join(logDir, 'postgres.log'), database: 'dashops' }),
      ),
      step(`Kafka on 127.0.0.1:${PORTS.kafka}`, () =>
        startKafka(supervisor, { port: PORTS.kafka, controllerPort: PORTS.kafkaController, dataDir: path.join(dataDir, 'kafka'), logFile: path.join(logDir, 'kafka.log') }),
      ),
    ]);
    const connectionString = postgres.env.DATABASE_URL ?? '';
    const brokers = kafkaService.env.KAFKA_BROKERS ?? '';
    // The relay takes the worker's own Kafka client and logger, which read server/env.ts; nothing here talks to Temporal.
    Object.assign(process.env, { DATABASE_URL: connectionString, KAFKA_BROKERS: brokers, KAFKA_CLIENT_ID: 'bench-cdc', LOG_LEVEL: 'warn', TEMPORAL_ADDRESS: '127.0.0.1:1' });

    const { applyMigrations } = await import('../server/db/migrate.ts');
    await applyMigrations({ connectionString, migrationsDir: path.join(repoRoot, 'prisma', 'migrations') });
    // idleTimeoutMillis 0: a writer's backend must outlive the turn's CPU sample, or its CPU time goes uncounted.
    const pool = new pg.Pool({ connectionString, max: settings.BENCH_CDC_WRITERS + 4, idleTimeoutMillis: 0 });
    // Idle clients see Postgres stop at teardown; that is not a failure of the run.
    pool.on('error', () => undefined);
    cleanups.push(() => pool.end());
    await prepareWriters(pool);

    const { kafka, kafkaAdmin, kafkaProducer } = await import('../server/kafka/client.ts');
    const admin = await kafkaAdmin();
    const topics = [...TABLES, ...TABLES.map((table) => `${DEBEZIUM_PREFIX}.public.${table}`)];
    // A broker just started may not know a topic it has just created yet (UNKNOWN_TOPIC_OR_PARTITION): ask again.
    await waitFor(
      'the bench topics (LogAppendTime) with their leaders',
      async () => {
        await admin.createTopics({
          topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] })),
          waitForLeaders: true,
        });
        const { topics: found } = await admin.fetchTopicMetadata({ topics });
        return found.length === topics.length && found.every((topic) => topic.partitions.length === PARTITIONS && topic.partitions.every((p) => p.leader >= 0));
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    const url = new URL(connectionString);
    const debezium = startDebezium(
      {
        classpath,
        dataDir,
        logFile: path.join(logDir, 'debezium.log'),
        engine: {
          name: 'bench-cdc-debezium',
          'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
          'offset.storage': 'org.apache.kafka.connect.storage.FileOffsetBackingStore',
          'offset.storage.file.filename': path.join(dataDir, 'debezium-offsets.dat'),
          'offset.flush.interval.ms': String(settings.BENCH_DBZ_OFFSET_FLUSH_MS),
          'database.hostname': url.hostname,
          'database.port': url.port,
          'database.user': decodeURIComponent(url.username),
          'database.password': decodeURIComponent(url.password),
          'database.dbname': url.pathname.slice(1),
          'topic.prefix': DEBEZIUM_PREFIX,
          'plugin.name': 'pgoutput',
          'slot.name': DEBEZIUM_SLOT,
          'publication.name': DEBEZIUM_SLOT,
          'publication.autocreate.mode': 'filtered',
          'table.include.list': TABLES.map((table) => `public.${table}`).join(','),
          'snapshot.mode': 'no_data',
          'poll.interval.ms': String(settings.BENCH_DBZ_POLL_MS),
          // The relay sends no tombstones either.
          'tombstones.on.delete': 'false',
          'converter.schemas.enable': 'false',
        },
        producer: {
          'bootstrap.servers': brokers,
          'client.id': 'bench-cdc-debezium',
          acks: 'all',
          'linger.ms': '0',
          'enable.idempotence': 'true',
          'key.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
          'value.serializer': 'org.apache.kafka.common.serialization.StringSerializer',
        },
      },
      (code) => {
        if (!stopping) {
          console.error(`bench:cdc: the Debezium JVM exited unexpectedly (code ${code}); see ${path.join(logDir, 'debezium.log')}`);
          void teardown().finally(() => process.exit(1));
        }
      },
    );
    let stopping = false;
    cleanups.push(async () => {
      stopping = true;
      await debezium.close();
    });

    const cpuRoots = () =>
      new Map<number, string>([
        [process.pid, 'bench (relay)'],
        [debezium.pid, 'debezium'],
        ...supervisor.pids.map((pid): [number, string] => [pid, serviceName(pid)]),
      ]);
    const ctx: Context = { pool, admin, kafka: kafka(), kafkaLogDir: path.join(dataDir, 'kafka', 'kraft'), cpuRoots };
    const contestants = {
      dashops: await relayContestant(ctx, connectionString, await kafkaProducer()),
      debezium: debeziumContestant(ctx, debezium),
    };

    const result: Record<string, unknown> = { load_avg_at_start: os.loadavg().map((load) => round(load, 2)) };
    const summary: Record<Name, Record<string, unknown>> = { dashops: {}, debezium: {} };
    if (phases.has('latency')) {
      const latency = await latencyPhase(ctx, contestants);
      for (const name of ['dashops', 'debezium'] as const) Object.assign(summary[name], latency[name]);
    }
    if (phases.has('throughput')) {
      const throughput = await throughputPhase(ctx, contestants);
      for (const name of ['dashops', 'debezium'] as const) Object.assign(summary[name], { max_rows_per_s: throughput.max[name], ...throughput.cost[name] });
      result.throughput_bound = throughput.bound;
      result.steps = throughput.steps;
    }
    const final = {
      dashops: { p50: null, p99: null, max_rows_per_s: null, ...summary.dashops },
      debezium: { p50: null, p99: null, max_rows_per_s: null, ...summary.debezium },
      rate_per_s: settings.BENCH_CDC_RATE,
      rows_per_commit: settings.BENCH_CDC_ROWS_PER_COMMIT,
      debezium_version: DEBEZIUM_VERSION,
      ...result,
      load_avg_at_end: os.loadavg().map((load) => round(load, 2)),
    };
    await teardown();
    console.log(JSON.stringify(final));
    process.exit(0);
  } catch (err) {
    console.error('bench:cdc failed:', err);
    await teardown();
    process.exit(1);
  }
}

// ─── The contestants ────────────────────────────────────────────────────────────────────────────────────

async function relayContestant(ctx: Context, connectionString: string, producer: Producer): Promise<Contestant> {
  const { startCdcRelay } = await import('../worker/cdc/relay.ts');
  const { logger } = await import('../server/logger.ts');
  let relay: Awaited<ReturnType<typeof startCdcRelay>> | null = null;
  let producedBefore = 0;
  return {
    name: 'dashops',
    slot: RELAY_SLOT,
    start: async () => {
      // As the worker starts it (worker/main.ts), with its default resolved interval and batch sizes.
      relay = await startCdcRelay({
        connectionString,
        producer,
        admin: ctx.admin,
        tables: TABLES,
        slotName: RELAY_SLOT,
        publicationName: RELAY_SLOT,
        resolvedIntervalMs: 5000,
        partitions: PARTITIONS,
        log: logger,
      });
      await slotActive(ctx.pool, RELAY_SLOT);
    },
    produced: async () => producedBefore + (relay?.status().messagesProduced ?? 0),
    stop: async () => {
      await relay?.stop();
      producedBefore += relay?.status().messagesProduced ?? 0;
      relay = null;
      await dropSlot(ctx.pool, RELAY_SLOT);
    },
    commitMicros: (value) => {
      const updated = (JSON.parse(value) as { updated?: string }).updated;
      // `<wall nanoseconds>.<logical>`; resolved messages carry no `updated`.
      return updated ? Number(BigInt(updated.slice(0, updated.indexOf('.'))) / 1000n) : null;
    },
  };
}

function debeziumContestant(ctx: Context, debezium: DebeziumProcess): Contestant {
  return {
    name: 'debezium',
    slot: DEBEZIUM_SLOT,
    start: async () => {
      await debezium.start();
      await slotActive(ctx.pool, DEBEZIUM_SLOT);
    },
    produced: () => debezium.produced(),
    stop: async () => {
      await debezium.stop();
      await dropSlot(ctx.pool, DEBEZIUM_SLOT);
    },
    commitMicros: (value) => {
      const source = (JSON.parse(value) as { source?: { ts_us?: number; ts_ms?: number } }).source;
      return source?.ts_us ?? (source?.ts_ms === undefined ? null : source.ts_ms * 1000);
    },
  };
}

async function slotActive(pool: pg.Pool, slot: string): Promise<void> {
  await waitFor(
    `replication slot ${slot} streaming`,
    async () => {
      const { rows } = await pool.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      return rows[0]?.active === true;
    },
    { timeoutMs: 90_000, intervalMs: 100 },
  );
}

/**
 * Started and streaming: a probe change has reached Kafka. An active slot alone is not enough; Debezium holds it
 * from creating it, seconds before it streams, and that start-up would count as latency.
 */
async function streaming(pool: pg.Pool, contestant: Contestant): Promise<void> {
  const before = await contestant.produced();
  await waitFor(
    `${contestant.name}: a probe change reaching Kafka`,
    async () => {
      await pool.query(`UPDATE inventory_levels SET on_hand = on_hand + 1, updated_at = clock_timestamp() WHERE store_id = 'CDC-01' AND sku = 'CDC-0001'`);
      const deadline = Date.now() + 1000;
      while (Date.now() < deadline) {
        if ((await contestant.produced()) > before) return true;
        await sleep(20);
      }
      return false;
    },
    { timeoutMs: 120_000, intervalMs: 0 },
  );
}

/** Once its contestant let go of it: the next turn starts from a slot of its own, created then. */
async function dropSlot(pool: pg.Pool, slot: string): Promise<void> {
  await waitFor(
    `replication slot ${slot} released`,
    async () => {
      const { rows } = await pool.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      if (rows.length === 0) return true;
      if (rows[0]?.active) return false;
      await pool.query('SELECT pg_drop_replication_slot($1)', [slot]);
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** Waits until the contestant has had Kafka acknowledge `count` more records than `from`. */
async function delivered(contestant: Contestant, from: number, count: number): Promise<void> {
  await waitFor(
    `${contestant.name}: Kafka acknowledging the turn's ${count} records`,
    async () => (await contestant.produced()) - from >= count,
    { timeoutMs: 120_000, intervalMs: 50 },
  );
}

// ─── 1. Commit → broker append at an open-loop rate ────────────────────────────────────────────────────

async function latencyPhase(ctx: Context, contestants: Record<Name, Contestant>) {
  const rate = settings.BENCH_CDC_RATE;
  const seconds = settings.BENCH_CDC_WARMUP_S + settings.BENCH_CDC_LATENCY_S;
  console.log(
    `bench:cdc: latency: an untimed ${settings.BENCH_CDC_WARMUP_TURN_S} s turn each, then ${settings.BENCH_CDC_ROUNDS} turns each of ${settings.BENCH_CDC_WARMUP_S} s warm-up + ${settings.BENCH_CDC_LATENCY_S} s timed, ${rate} single-row commits/s (open loop, ${settings.BENCH_CDC_WRITERS} writers)`,
  );
  const samples: Record<Name, number[]> = { dashops: [], debezium: [] };
  const cpu: Record<Name, Record<string, number>[]> = { dashops: [], debezium: [] };
  const late: Record<Name, number> = { dashops: 0, debezium: 0 };
  const batches: Record<Name, { batches: number; records: number }> = { dashops: { batches: 0, records: 0 }, debezium: { batches: 0, records: 0 } };
  if (settings.BENCH_CDC_WARMUP_TURN_S > 0) {
    for (const contestant of [contestants.dashops, contestants.debezium]) {
      await contestant.start();
      await streaming(ctx.pool, contestant);
      const producedBefore = await contestant.produced();
      const written = await write(ctx.pool, { rate, rowsPerCommit: 1, seconds: settings.BENCH_CDC_WARMUP_TURN_S, writers: settings.BENCH_CDC_WRITERS });
      const writtenAt = performance.now();
      await delivered(contestant, producedBefore, written.rows);
      await contestant.stop();
      console.log(`  warm-up turn: ${contestant.name}: ${written.commits} commits, all delivered ${round(performance.now() - writtenAt)} ms after the writers' end`);
    }
  }
  for (let turn = 0; turn < settings.BENCH_CDC_ROUNDS * 2; turn++) {
    // dashops, debezium, debezium, dashops, …: each goes first as often, so a trend in the host's load hits both alike.
    const name: Name = (turn % 4 === 0 || turn % 4 === 3) ? 'dashops' : 'debezium';
    const contestant = contestants[name];
    const topic = TOPICS[name];
    const from = await endOffsets(ctx.admin, topic);
    await contestant.start();
    await streaming(ctx.pool, contestant);
    const producedBefore = await contestant.produced();
    const cpuBefore = sampleCpu();
    const written = await write(ctx.pool, { rate, rowsPerCommit: 1, seconds, writers: settings.BENCH_CDC_WRITERS });
    const writtenAt = performance.now();
    await delivered(contestant, producedBefore, written.rows);
    const drainMs = performance.now() - writtenAt;
    const spent = cpuSince(ctx, cpuBefore);
    await contestant.stop();
    const timedFromUs = (written.startAt.getTime() + settings.BENCH_CDC_WARMUP_S * 1000) * 1000;
    const to = await endOffsets(ctx.admin, topic);
    const latencies = await appendLatencies(ctx.kafka, topic, from, to, contestant, timedFromUs);
    const appended = recordBatches(ctx.kafkaLogDir, topic, from, to);
    batches[name].batches += appended.batches;
    batches[name].records += appended.records;
    samples[name].push(...latencies);
    cpu[name].push(spent);
    late[name] += written.lateStarts;
    const stats = percentiles(latencies);
    console.log(
      `  turn ${turn + 1}: ${name}: ${latencies.length} timed of ${written.commits} commits (${round(written.rowsPerSecond)}/s, ${written.lateStarts} late starts); commit → append p50 ${stats.p50} ms, p99 ${stats.p99} ms, max ${round(Math.max(...latencies))} ms; first/last 100 p50 ${percentiles(latencies.slice(0, 100)).p50}/${percentiles(latencies.slice(-100)).p50} ms; all delivered ${round(drainMs)} ms after the writers' end; ${round(appended.records / Math.max(appended.batches, 1))} records per Kafka batch; CPU s ${JSON.stringify(spent)}`,
    );
  }
  const summarise = (name: Name) => {
    const stats = percentiles(samples[name]);
    const cpuOf = (key: string) => round(cpu[name].reduce((sum, spent) => sum + (spent[key] ?? 0), 0), 2);
    const perTurnSeconds = settings.BENCH_CDC_WARMUP_S + settings.BENCH_CDC_LATENCY_S;
    return {
      p50: stats.p50,
      p95: stats.p95,
      p99: stats.p99,
      max_ms: round(Math.max(...samples[name])),
      samples: samples[name].length,
      late_starts: late[name],
      records_per_kafka_batch: round(batches[name].records / Math.max(batches[name].batches, 1), 2),
      // Per 1,000 commits at the timed rate, so the two compare directly.
      cpu_s_per_1000_commits: Object.fromEntries(
        Object.keys(cpu[name][0] ?? {}).map((key) => [key, round((cpuOf(key) / (perTurnSeconds * settings.BENCH_CDC_RATE * settings.BENCH_CDC_ROUNDS)) * 1000, 3)]),
      ),
    };
  };
  const out = { dashops: summarise('dashops'), debezium: summarise('debezium') };
  console.log('bench:cdc: latency commit → broker append (ms):', JSON.stringify(out));
  return out;
}

async function endOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((partition) => [partition.partition, BigInt(partition.high)]));
}

/**
 * For every record between two sets of offsets committed at or after `fromUs`: its LogAppendTime minus its commit
 * time, in ms. Reads the topic from its beginning: a seek right after run() races kafkajs' group join.
 */
async function appendLatencies(kafka: Kafka, topic: string, from: Map<number, bigint>, to: Map<number, bigint>, contestant: Contestant, fromUs: number): Promise<number[]> {
  const latencies: number[] = [];
  const remaining = new Set([...to].filter(([partition, end]) => end > (from.get(partition) ?? 0n)).map(([partition]) => partition));
  if (remaining.size === 0) return latencies;
  const consumer = kafka.consumer({ groupId: `bench-cdc-read-${contestant.name}-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const start = from.get(batch.partition) ?? 0n;
        const end = to.get(batch.partition) ?? 0n;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < start || offset >= end || !message.value) continue;
          const commitUs = contestant.commitMicros(message.value.toString());
          if (commitUs === null || commitUs < fromUs) continue;
          latencies.push(Number(message.timestamp) - commitUs / 1000);
        }
        if (BigInt(batch.lastOffset()) + 1n >= end) {
          remaining.delete(batch.partition);
          if (remaining.size === 0) done();
        }
      },
    });
    await Promise.race([finished, sleep(120_000).then(() => Promise.reject(new Error(`reading ${topic} back took over 120 s`)))]);
  } finally {
    await consumer.disconnect();
  }
  return latencies;
}

// ─── 2. The highest rows/s with the slot's lag bounded ─────────────────────────────────────────────────

interface StepResult {
  name: Name;
  offered_rows_per_s: number;
  written_rows_per_s: number;
  late_starts: number;
  held: boolean;
  /** Growth of the slot lag's floor from the first to the second half of the judged window, and the WAL rate it is compared with. */
  lag_growth_bytes_per_s: number;
  wal_bytes_per_s: number;
  lag_end_bytes: number;
  cpu_s: Record<string, number>;
}

async function throughputPhase(ctx: Context, contestants: Record<Name, Contestant>) {
  const steps: StepResult[] = [];
  const max: Record<Name, number> = { dashops: 0, debezium: 0 };
  const failed = new Set<Name>();
  let bound: 'contestants' | 'writers' | 'max_rate' = 'max_rate';
  console.log(
    `bench:cdc: throughput: offered rows/s from ${settings.BENCH_CDC_START_RATE} ×${settings.BENCH_CDC_STEP_FACTOR} per step, ${settings.BENCH_CDC_ROWS_PER_COMMIT} rows per commit, ${settings.BENCH_CDC_STEP_S} s per turn (lag judged over the last ${settings.BENCH_CDC_JUDGE_S} s)`,
  );
  ladder: for (let rate = settings.BENCH_CDC_START_RATE, index = 0; rate <= settings.BENCH_CDC_MAX_RATE; rate = Math.round(rate * settings.BENCH_CDC_STEP_FACTOR), index++) {
    const order: Name[] = index % 2 === 0 ? ['dashops', 'debezium'] : ['debezium', 'dashops'];
    for (const name of order) {
      if (failed.has(name)) continue;
      const result = await throughputTurn(ctx, contestants[name], rate);
      steps.push(result);
      console.log(
        `  ${rate} rows/s offered: ${name} ${result.held ? 'held' : 'fell behind'} (written ${result.written_rows_per_s}/s, ${result.late_starts} late starts; lag ${result.lag_growth_bytes_per_s >= 0 ? '+' : ''}${result.lag_growth_bytes_per_s} B/s against WAL ${result.wal_bytes_per_s} B/s, ${result.lag_end_bytes} B at the end); CPU s ${JSON.stringify(result.cpu_s)}`,
      );
      if (result.written_rows_per_s < 0.9 * rate) {
        console.log(`  the writers offered only ${result.written_rows_per_s} of ${rate} rows/s: the host cannot offer more; the ladder ends here`);
        if (result.held) max[name] = Math.max(max[name], result.written_rows_per_s);
        bound = 'writers';
        break ladder;
      }
      if (result.held) max[name] = Math.max(max[name], result.written_rows_per_s);
      else failed.add(name);
    }
    if (failed.size === 2) {
      bound = 'contestants';
      break;
    }
  }
  // What it costs: rows per CPU-second of the contestant's own process over the turns it held, and the share of a
  // core it got in its last turn (on a shared host, what the scheduler gave it).
  const cpuKey: Record<Name, string> = { dashops: 'bench (relay)', debezium: 'debezium' };
  const cost = Object.fromEntries(
    (['dashops', 'debezium'] as const).map((name) => {
      const held = steps.filter((step) => step.name === name && step.held);
      const cpu = held.reduce((sum, step) => sum + (step.cpu_s[cpuKey[name]] ?? 0), 0);
      const rows = held.reduce((sum, step) => sum + step.written_rows_per_s * settings.BENCH_CDC_STEP_S, 0);
      const lastTurn = steps.filter((step) => step.name === name).at(-1);
      return [name, { rows_per_cpu_s: cpu > 0 ? Math.round(rows / cpu) : null, cores_in_last_turn: lastTurn ? round((lastTurn.cpu_s[cpuKey[name]] ?? 0) / settings.BENCH_CDC_STEP_S, 2) : null }];
    }),
  ) as Record<Name, { rows_per_cpu_s: number | null; cores_in_last_turn: number | null }>;
  console.log('bench:cdc: highest rows/s with the slot lag bounded:', JSON.stringify(max), `(ended by ${bound}); cost:`, JSON.stringify(cost));
  return { max, steps, bound, cost };
}

async function throughputTurn(ctx: Context, contestant: Contestant, rate: number): Promise<StepResult> {
  await contestant.start();
  await streaming(ctx.pool, contestant);
  const samples: { at: number; lag: number; wal: number }[] = [];
  let writing = true;
  const sampling = (async () => {
    while (writing) {
      const { rows } = await ctx.pool.query<{ lag: string | null; wal: string }>(
        `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS wal
         FROM pg_replication_slots WHERE slot_name = $1`,
        [contestant.slot],
      );
      const row = rows[0];
      if (row?.lag) samples.push({ at: Date.now(), lag: Number(row.lag), wal: Number(row.wal) });
      await sleep(200);
    }
  })();
  const cpuBefore = sampleCpu();
  let written: Written;
  try {
    written = await write(ctx.pool, { rate, rowsPerCommit: settings.BENCH_CDC_ROWS_PER_COMMIT, seconds: settings.BENCH_CDC_STEP_S, writers: settings.BENCH_CDC_WRITERS });
  } finally {
    writing = false;
    await sampling;
  }
  const spent = cpuSince(ctx, cpuBefore);
  await contestant.stop();

  const judgedFrom = written.startAt.getTime() + (settings.BENCH_CDC_STEP_S - settings.BENCH_CDC_JUDGE_S) * 1000;
  const judged = samples.filter((sample) => sample.at >= judgedFrom);
  // The lag's floor in each half of the window: a contestant that confirms in bursts (Debezium, when it flushes
  // offsets) draws a sawtooth whose troughs are what it has delivered; a steady confirmer's floor is its lag.
  const middle = judgedFrom + (settings.BENCH_CDC_JUDGE_S * 1000) / 2;
  const floor = (part: typeof judged) => Math.min(...part.map((sample) => sample.lag));
  const earlier = judged.filter((sample) => sample.at < middle);
  const later = judged.filter((sample) => sample.at >= middle);
  const growth = earlier.length > 0 && later.length > 0 ? (floor(later) - floor(earlier)) / (settings.BENCH_CDC_JUDGE_S / 2) : Infinity;
  const first = judged[0];
  const last = judged.at(-1);
  const walRate = first && last && last.at > first.at ? (last.wal - first.wal) / ((last.at - first.at) / 1000) : 0;
  return {
    name: contestant.name,
    offered_rows_per_s: rate,
    written_rows_per_s: Math.round(written.rowsPerSecond),
    late_starts: written.lateStarts,
    held: judged.length >= 10 && growth <= 0.05 * walRate,
    lag_growth_bytes_per_s: Math.round(growth),
    wal_bytes_per_s: Math.round(walRate),
    lag_end_bytes: last?.lag ?? 0,
    cpu_s: spent,
  };
}

/** CPU seconds since `before` per process tree, Postgres' WAL senders (the decoding) apart from its other backends. */
function cpuSince(ctx: Context, before: CpuSample): Record<string, number> {
  return cpuSpent(before, sampleCpu(), ctx.cpuRoots(), (pid, name) => (name === 'postgres' && /walsender/.test(readCmdline(pid)) ? 'postgres walsender' : name));
}

void main();
