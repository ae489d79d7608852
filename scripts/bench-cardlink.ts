import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureConsoleBuild, startBuiltConsole, startWorker } from './stack/app.ts';
import { percentiles, startBenchRun, type Percentiles } from './stack/bench.ts';
import { startPartnerSandboxService } from './stack/partner-sandbox.ts';
import { dataRoot, repoRoot } from './stack/paths.ts';
import { assertPortsFree } from './stack/ports.ts';
import { step } from './stack/progress.ts';
import { startServices } from './stack/services.ts';
import { waitFor, type Supervisor } from './stack/supervisor.ts';
import { DYNAMIC_CONFIG, ensureTemporalCli, SEARCH_ATTRIBUTES } from './stack/temporal.ts';
import { cpuSpent, readCmdline, sampleCpu, serviceName, type CpuSample } from './bench-kit/cpu.ts';

/**
 * `npm run bench:cardlink`: the synchronous card-link API against Temporal's own floor, measured in the same run,
 * on services it starts itself on its own ports and data dir: Postgres, Kafka, Temporal (dev server, SQLite file
 * like `npm start`), the partner sandbox (no injected latency), the real worker (worker/main.ts: one process with
 * WORKER_ROLES=cardlink-worker, one with the other roles) and a production build of the console (`next build` +
 * `next start`).
 *
 *   sync / floor           `POST /api/card-links` (each a new customer and card: a real link) and Update-With-Start
 *                          of `emptyDecisionWorkflow` (same call shape, task queue and worker, answered in its first
 *                          workflow task without activities), one at a time, in alternating batches
 *   concurrent /           the same two from BENCH_CONCURRENCY clients, in alternating batches; per_s is requests
 *   floor_concurrent       over the wall time of that kind's batches
 *   in_process             the sync links through linkCard() in this process, in the same rotation: what the
 *                          route (HTTP, Next.js, its audit row) adds
 *
 * Alternating batches (the order flipped every round) give both sides the same share of whatever else the shared
 * machine runs, so the ratios hold where absolute figures move ±30-50 % hour to hour. CPU is read from /proc per
 * process tree (worker, Temporal, Postgres, console, this process; scripts/bench-kit/cpu.ts) around every batch:
 * cpu_ms_per_link is the CPU all of them spent per sequential link (the partner sandbox, a stand-in for the banks, is
 * left out; `other` in cpu_ms_by_process is the rest of the host, other people's work included, and `steal` the
 * hypervisor's).
 *
 * The LAST line is one JSON object (ms): {"sync":{p50,p95,p99},"floor":{…},"concurrent":{p50,p95,p99,per_s},
 * "floor_concurrent":{…},"cpu_ms_per_link":n,"cpu_ms_per_empty_workflow":n,"in_process":{…},"cpu_ms_by_process":{…},
 * "ratios":{…},"targets":{…},"load1m":{start,end}}. BENCH_REQUESTS (default 1000 of each) and BENCH_CONCURRENCY (20).
 *
 * A/B mode (BENCH_AB=1) judges a change: two variants, each with its own Temporal dev server and worker process
 * (shared Postgres, Kafka and partner sandbox; no console: HTTP is the same for both), driven by linkCard() in
 * this process in alternating batches, sequential and concurrent. Variant A runs the code of git ref
 * BENCH_AB_A_REF (default: the working tree) plus the working tree's BENCH_AB_A_FILES (comma list), variant B
 * the working tree; BENCH_AB_A_ENV / BENCH_AB_B_ENV add worker env (`K=V;K=V`; both run
 * WORKER_ROLES=cardlink-worker unless set; CARD_LINK_EARLY_RETURN=on there also makes that side's linkCard() ask
 * for early answers), BENCH_AB_A_DYNAMIC_CONFIG / BENCH_AB_B_DYNAMIC_CONFIG override the dev
 * server's dynamic config (`key=json;key=json`). Its last line is
 * {"a":{"sync","concurrent","cpu_ms_per_link",…},"b":{…},"ratios_b_over_a":{…}}.
 */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const AB = process.env.BENCH_AB === '1';
/** Sequential requests per batch, and concurrent ones (enough for the clients to reach a steady state). */
const SEQUENTIAL_BATCH = 25;
const CONCURRENT_BATCH = Math.max(CONCURRENCY * 5, 100);
const WARMUP = 50;
const PORTS = { console: 48500, sandbox: 48510, postgres: 48543, kafka: 48592, kafkaController: 48593, temporal: 48533, temporalB: 48534 };
const dataDir = path.join(dataRoot, 'bench-cardlink');
/** Inside .data/: gitignored, outside ESLint and tsc, and kept between runs so rebuilds are incremental. */
const nextDistDir = path.relative(repoRoot, path.join(dataRoot, 'bench-cardlink-next'));
const logDir = path.join(dataDir, 'logs');
/** Eligible cards of each partner in the sandbox's rules (last4 0002-0005 are the decline and multi-match cases). */
const PARTNER_CARDS = [
  { country: 'US', network: 'visa', bin: '414721' },
  { country: 'CA', network: 'visa', bin: '450061' },
  { country: 'US', network: 'mastercard', bin: '535317' },
] as const;

type Once = () => Promise<number>;

async function main(): Promise<void> {
  const cardLinkToken = randomUUID();
  const loadAtStart = round(os.loadavg()[0]!);
  const bench = startBenchRun('bench:cardlink', dataDir);
  fs.mkdirSync(logDir, { recursive: true });
  const { supervisor, cleanups, teardown } = bench;

  try {
    const consoleUrl = `http://127.0.0.1:${PORTS.console}`;
    await assertPortsFree([
      { port: PORTS.console, what: 'bench console', envVar: '(fixed in scripts/bench-cardlink.ts)' },
      { port: PORTS.sandbox, what: 'bench partner sandbox', envVar: '(fixed in scripts/bench-cardlink.ts)' },
      ...(AB ? [{ port: PORTS.temporalB, what: 'bench Temporal (variant B)', envVar: '(fixed in scripts/bench-cardlink.ts)' }] : []),
    ]);
    console.log(
      AB
        ? `bench:cardlink A/B: ${REQUESTS} sequential and ${REQUESTS} at ${CONCURRENCY} concurrent per variant, in alternating batches`
        : `bench:cardlink: ${REQUESTS} sync and ${REQUESTS} floor, then ${REQUESTS} + ${REQUESTS} at ${CONCURRENCY} concurrent, in alternating batches`,
    );
    console.log(`  logs in ${path.relative(repoRoot, logDir)}/`);

    // The production build needs no services: build while they start (the env is only parsed, never dialled).
    const knownEnv = {
      DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${PORTS.postgres}/dashops`,
      KAFKA_BROKERS: `127.0.0.1:${PORTS.kafka}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
    };
    const built = AB
      ? undefined
      : // As `npm start` builds: reused while the console's sources are unchanged, type-checking left to tsc.
        ensureConsoleBuild(supervisor, { distDir: nextDistDir, env: { ...process.env, ...knownEnv }, logDir });
    built?.catch(() => undefined); // Awaited below; this only keeps an early failure from being "unhandled".
    // A/B: both variants get a Temporal server of their own, started alike below, so the default one is not wanted.
    if (AB) process.env.TEMPORAL_ADDRESS = `127.0.0.1:${PORTS.temporal}`;

    const services = (bench.services = await startServices(supervisor, {
      dataDir,
      ports: { ...PORTS, temporalUi: undefined },
      persistentTemporal: true,
      withTestServer: false,
    }));
    Object.assign(process.env, services.env, { LOG_LEVEL: 'warn' });
    const { prepareDatabase } = await import('./stack/database.ts');
    const [sandbox] = await Promise.all([
      step(`Partner sandbox on 127.0.0.1:${PORTS.sandbox}`, () =>
        startPartnerSandboxService(supervisor, {
          port: PORTS.sandbox,
          portEnvVar: '(fixed in scripts/bench-cardlink.ts)',
          consoleUrl,
          logFile: path.join(logDir, 'partner-sandbox.log'),
        }),
      ),
      step('Database migrations and demo data', () => prepareDatabase()),
    ]);
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...services.env,
      ...sandbox.env,
      CONSOLE_URL: consoleUrl,
      LOG_LEVEL: 'warn',
      CARD_LINK_API_TOKEN: cardLinkToken,
      // A loaded machine's 20-client tail can pass the API's 10 s default; the bench times it rather than cut it off.
      CARD_LINK_DECISION_TIMEOUT_MS: '30000',
    };
    Object.assign(process.env, sandbox.env);

    const { Client, Connection, WithStartWorkflowOperation } = await import('@temporalio/client');
    const { CARD_LINK_ID_REUSE_POLICY, linkCard } = await import('../server/card-link/link-card.ts');
    const { cardLinkRequestSchema } = await import('../server/card-link/requests.ts');
    const { decisionUpdate, searchAttributes, TASK_QUEUES, WORKFLOW_TYPES } = await import('../server/temporal/contract.ts');
    const { db } = await import('../server/db/client.ts');
    const connect = async (address: string) => {
      const connection = await Connection.connect({ address });
      cleanups.push(() => connection.close());
      return new Client({ connection, namespace: 'default' });
    };
    const waitForPoller = (client: InstanceType<typeof Client>, log: string) =>
      step(`Worker polling ${TASK_QUEUES.cardLink} (log ${path.basename(log)})`, () =>
        waitFor(
          `a worker polling the ${TASK_QUEUES.cardLink} task queue (see ${path.relative(repoRoot, log)})`,
          async () => {
            const { pollers } = await client.workflowService.describeTaskQueue({
              namespace: client.options.namespace,
              taskQueue: { name: TASK_QUEUES.cardLink },
              taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
            });
            return (pollers?.length ?? 0) > 0;
          },
          { timeoutMs: 180_000, intervalMs: 500 },
        ),
      );

    const run = randomUUID().slice(0, 8);
    let nextCustomer = 0;
    const customersNeeded = 6 * WARMUP + 5 * REQUESTS;
    await step(`${customersNeeded} bench customers`, async () => {
      await db().customer.createMany({
        data: Array.from({ length: customersNeeded }, (_, i) => ({
          customerId: `bench-${run}-${i}`,
          name: `Bench ${i}`,
          email: `bench-${i}@example.com`,
          country: PARTNER_CARDS[i % PARTNER_CARDS.length]!.country,
        })),
      });
    });
    const requestFor = (i: number) => {
      const card = PARTNER_CARDS[i % PARTNER_CARDS.length]!;
      return {
        customerId: `bench-${run}-${i}`,
        card: {
          fingerprint: `fp_bench_${run}_${i}`,
          bin: card.bin,
          last4: String(1000 + (i % 9000)).padStart(4, '0'),
          country: card.country,
          network: card.network,
          expMonth: 12,
          expYear: new Date().getUTCFullYear() + 3,
        },
      };
    };
    const outcomes = new Map<string, number>();
    const failures: string[] = [];
    const count = (key: string, failure?: string) => {
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (failure && failures.length < 5) failures.push(failure);
    };
    const cpu = cpuMeter(supervisor);

    if (AB) {
      const variants = await startVariants({ supervisor, childEnv, cpu, cli: await ensureTemporalCli() });
      const clients = { a: await connect(variants.a.address), b: await connect(variants.b.address) };
      await waitForPoller(clients.a, variants.a.log);
      await waitForPoller(clients.b, variants.b.log);
      // A variant whose env sets CARD_LINK_EARLY_RETURN=on is asked for early answers (as the route does under it).
      const earlyReturnOf = (name: 'A' | 'B') => parsePairs(process.env[`BENCH_AB_${name}_ENV`], (value) => value).CARD_LINK_EARLY_RETURN === 'on';
      const linkVia =
        (client: InstanceType<typeof Client>, earlyReturn: boolean): Once =>
        async () => {
          const request = cardLinkRequestSchema.parse(requestFor(nextCustomer++));
          const started = performance.now();
          try {
            const result = await linkCard({ db: db(), temporal: client, decisionTimeoutMs: 30_000, earlyReturn }, request);
            count(result.status);
          } catch (err) {
            count('error', err instanceof Error ? `${err.name}: ${err.message}` : String(err));
          }
          return performance.now() - started;
        };
      const sides = [
        { name: 'a', once: linkVia(clients.a, earlyReturnOf('A')), cpuRoots: variants.a.cpuRoots },
        { name: 'b', once: linkVia(clients.b, earlyReturnOf('B')), cpuRoots: variants.b.cpuRoots },
      ];
      console.log('\n━━ Warm-up (not counted)');
      for (const side of sides) {
        await sequential(`warm-up ${side.name}`, WARMUP, side.once);
        await concurrent(`warm-up ${side.name} (concurrent)`, WARMUP * 2, CONCURRENCY, side.once);
      }
      outcomes.clear();
      console.log(`\n━━ A/B sequential: ${REQUESTS} each, alternating batches of ${SEQUENTIAL_BATCH}`);
      const seq = await alternate(sides, REQUESTS, SEQUENTIAL_BATCH, cpu, (label, n, once) => sequential(label, n, once));
      console.log(`\n━━ A/B at ${CONCURRENCY} concurrent: ${REQUESTS} each, alternating batches of ${CONCURRENT_BATCH}`);
      const conc = await alternate(sides, REQUESTS, CONCURRENT_BATCH, cpu, (label, n, once) => concurrent(label, n, CONCURRENCY, once));
      console.log('  outcomes:', Object.fromEntries(outcomes));
      if (failures.length > 0) console.log('  first failures:', failures);
      await db().$disconnect();
      await teardown();
      if (outcomes.has('error')) throw new Error('some card links failed (see above); the figures are not valid');
      const side = (name: 'a' | 'b') => ({
        sync: seq[name]!.times,
        concurrent: { ...conc[name]!.times, per_s: conc[name]!.perSecond },
        cpu_ms_per_link: seq[name]!.cpuMsPer,
        cpu_ms_by_process: seq[name]!.cpuMsByProcess,
      });
      const [a, b] = [side('a'), side('b')];
      console.log(
        JSON.stringify({
          a: { ref: process.env.BENCH_AB_A_REF ?? 'working tree', env: process.env.BENCH_AB_A_ENV ?? '', dynamicConfig: process.env.BENCH_AB_A_DYNAMIC_CONFIG ?? '', ...a },
          b: { ref: 'working tree', env: process.env.BENCH_AB_B_ENV ?? '', dynamicConfig: process.env.BENCH_AB_B_DYNAMIC_CONFIG ?? '', ...b },
          ratios_b_over_a: {
            sync_p50: ratio(b.sync.p50, a.sync.p50),
            sync_p99: ratio(b.sync.p99, a.sync.p99),
            concurrent_per_s: ratio(b.concurrent.per_s, a.concurrent.per_s),
            cpu_ms_per_link: ratio(b.cpu_ms_per_link, a.cpu_ms_per_link),
          },
          load1m: { start: loadAtStart, end: round(os.loadavg()[0]!) },
        }),
      );
      process.exit(0);
    }

    const temporalAddress = services.env.TEMPORAL_ADDRESS ?? '';
    const client = await connect(temporalAddress);
    // The card-link worker runs apart from the stream consumers, as production should run it (BENCHMARKS.md: its own worker).
    const workerLog = path.join(logDir, 'worker-cardlink.log');
    const workers = [
      startWorker(supervisor, { env: { ...childEnv, WORKER_ROLES: 'cardlink-worker' }, output: workerLog }),
      startWorker(supervisor, { env: { ...childEnv, WORKER_ROLES: 'relay,processors,stream-worker,default-worker' }, output: path.join(logDir, 'worker-stream.log') }),
    ];
    await waitForPoller(client, workerLog);
    await built;
    await step(`Console (next start) on ${consoleUrl}`, () => startBuiltConsole(supervisor, { distDir: nextDistDir, env: childEnv, port: PORTS.console, logDir }));

    const linkOnce: Once = async () => {
      const body = requestFor(nextCustomer++);
      const started = performance.now();
      const res = await fetch(`${consoleUrl}/api/card-links`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${cardLinkToken}` },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as { status?: string; error?: string };
      const elapsed = performance.now() - started;
      if (res.status === 200) count(answer.status ?? 'unknown');
      else count(`HTTP ${res.status}`, `HTTP ${res.status}: ${answer.error ?? JSON.stringify(answer)}`);
      return elapsed;
    };
    let floorNext = 0;
    const floorOnce: Once = async () => {
      const i = floorNext++;
      const customerId = `bench-floor-${run}-${i}`;
      const card = PARTNER_CARDS[i % PARTNER_CARDS.length]!;
      const started = performance.now();
      await client.workflow.executeUpdateWithStart(decisionUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPES.emptyDecision, {
          workflowId: `bench-floor:${run}:${i}`,
          taskQueue: TASK_QUEUES.cardLink,
          args: [
            {
              customerId,
              card: { paymentMethodId: `pm_${i}`, fingerprint: `fp_floor_${i}`, last4: '4242', expMonth: 12, expYear: 2030, ...card },
              requestedBy: 'bench',
            },
          ],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: CARD_LINK_ID_REUSE_POLICY,
          typedSearchAttributes: [{ key: searchAttributes.customerId, value: customerId }],
        }),
      });
      return performance.now() - started;
    };
    // The same links through linkCard() in this process: what the route (HTTP, Next.js, its audit row) adds.
    const inProcessOnce: Once = async () => {
      const request = cardLinkRequestSchema.parse(requestFor(nextCustomer++));
      const started = performance.now();
      const result = await linkCard({ db: db(), temporal: client, decisionTimeoutMs: 30_000 }, request);
      count(result.status);
      return performance.now() - started;
    };
    const roots = () => {
      const named = cpu.servicesRoots();
      for (const worker of workers) if (worker.pid) named.set(worker.pid, 'worker');
      return named;
    };
    const sides = [
      { name: 'sync', once: linkOnce, cpuRoots: roots },
      { name: 'floor', once: floorOnce, cpuRoots: roots },
    ];

    console.log('\n━━ Warm-up (not counted)');
    await sequential('warm-up card links', WARMUP, linkOnce);
    await concurrent('warm-up card links (concurrent)', WARMUP * 2, CONCURRENCY, linkOnce);
    await sequential('warm-up floor', WARMUP, floorOnce);
    await concurrent('warm-up floor (concurrent)', WARMUP * 2, CONCURRENCY, floorOnce);
    outcomes.clear();

    console.log(
      `\n━━ (a) sync: POST /api/card-links, (b) floor: Update-With-Start of emptyDecisionWorkflow, and linkCard() in this process; ${REQUESTS} each, one at a time, taking turns in batches of ${SEQUENTIAL_BATCH}`,
    );
    const seq = await alternate([...sides, { name: 'in_process', once: inProcessOnce, cpuRoots: roots }], REQUESTS, SEQUENTIAL_BATCH, cpu, (label, n, once) =>
      sequential(label, n, once),
    );
    const seqOutcomes = Object.fromEntries(outcomes);
    outcomes.clear();
    console.log(`\n━━ (c) the same two from ${CONCURRENCY} concurrent clients; ${REQUESTS} each, alternating batches of ${CONCURRENT_BATCH}`);
    const conc = await alternate(sides, REQUESTS, CONCURRENT_BATCH, cpu, (label, n, once) => concurrent(label, n, CONCURRENCY, once));
    const concOutcomes = Object.fromEntries(outcomes);
    console.log('  outcomes, sequential:', seqOutcomes, 'concurrent:', concOutcomes);
    if (failures.length > 0) console.log('  first failures:', failures);
    await db().$disconnect();
    await teardown();
    if ([seqOutcomes, concOutcomes].some((counts) => Object.keys(counts).some((key) => key.startsWith('HTTP')))) {
      throw new Error('some card-link requests did not answer 200 (see above); the figures are not valid');
    }

    const sync = seq.sync!.times;
    const floor = seq.floor!.times;
    const concurrentLinks = { ...conc.sync!.times, per_s: conc.sync!.perSecond };
    const floorConcurrent = { ...conc.floor!.times, per_s: conc.floor!.perSecond };
    const ratios = {
      sync_p50: ratio(sync.p50, floor.p50),
      sync_p99: ratio(sync.p99, floor.p99),
      concurrent_per_s: ratio(concurrentLinks.per_s, floorConcurrent.per_s),
    };
    console.log(
      JSON.stringify({
        sync,
        floor,
        concurrent: concurrentLinks,
        floor_concurrent: floorConcurrent,
        cpu_ms_per_link: seq.sync!.cpuMsPer,
        cpu_ms_per_empty_workflow: seq.floor!.cpuMsPer,
        in_process: { ...seq.in_process!.times, cpu_ms_per_link: seq.in_process!.cpuMsPer },
        cpu_ms_by_process: { link: seq.sync!.cpuMsByProcess, empty_workflow: seq.floor!.cpuMsByProcess, in_process_link: seq.in_process!.cpuMsByProcess },
        ratios,
        targets: { sync_p50_max_1_5x: ratios.sync_p50 <= 1.5, sync_p99_max_2x: ratios.sync_p99 <= 2, concurrent_per_s_min_0_5x: ratios.concurrent_per_s >= 0.5 },
        load1m: { start: loadAtStart, end: round(os.loadavg()[0]!) },
      }),
    );
    process.exit(0);
  } catch (err) {
    console.error('bench:cardlink failed:', err);
    await teardown();
    process.exit(1);
  }
}

// ─── Phases ────────────────────────────────────────────────────────────────────────────────────────────

async function sequential(label: string, count: number, once: Once): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await once());
  if (label.startsWith('warm-up')) console.log(`  ${label}: ${count} done, p50 ${percentiles(times).p50} ms`);
  return times;
}

async function concurrent(label: string, count: number, clients: number, once: Once): Promise<number[]> {
  const times: number[] = [];
  let issued = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (issued < count) {
        issued++;
        times.push(await once());
      }
    }),
  );
  if (label.startsWith('warm-up')) console.log(`  ${label}: ${count} done, p50 ${percentiles(times).p50} ms`);
  return times;
}

interface Side {
  name: string;
  once: Once;
  cpuRoots: () => Map<number, string>;
}

interface SideResult {
  times: Percentiles;
  /** Requests over the wall time of this side's batches. */
  perSecond: number;
  cpuMsPer: number;
  cpuMsByProcess: Record<string, number>;
}

/**
 * Runs `total` requests of each side in batches, the sides taking turns and the order flipped every round (A B,
 * B A, …), so a load change on the machine falls on both alike. CPU of each side's process trees is read around
 * each of its batches.
 */
async function alternate(
  sides: Side[],
  total: number,
  batch: number,
  cpu: CpuMeter,
  runBatch: (label: string, count: number, once: Once) => Promise<number[]>,
): Promise<Record<string, SideResult>> {
  const acc = new Map<string, { times: number[]; wallMs: number; cpuMs: Record<string, number> }>(
    sides.map((side) => [side.name, { times: [], wallMs: 0, cpuMs: {} }]),
  );
  for (let done = 0, roundNo = 0; done < total; done += batch, roundNo++) {
    const size = Math.min(batch, total - done);
    for (const side of roundNo % 2 === 0 ? sides : [...sides].reverse()) {
      const into = acc.get(side.name)!;
      const before = cpu.sample();
      const started = performance.now();
      into.times.push(...(await runBatch(side.name, size, side.once)));
      into.wallMs += performance.now() - started;
      for (const [name, ms] of Object.entries(cpu.msSince(before, side.cpuRoots()))) into.cpuMs[name] = (into.cpuMs[name] ?? 0) + ms;
    }
    const progress = sides.map((side) => `${side.name} p50 ${percentiles(acc.get(side.name)!.times).p50} ms`).join(', ');
    console.log(`  ${Math.min(done + batch, total)}/${total} each: ${progress}`);
  }
  return Object.fromEntries(
    sides.map((side) => {
      const { times, wallMs, cpuMs } = acc.get(side.name)!;
      const perRequest = (ms: number) => round(ms / times.length);
      const byProcess = Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, perRequest(ms)]));
      const counted = Object.entries(cpuMs).filter(([name]) => COUNTED_PROCESSES.has(name));
      const result: SideResult = {
        times: percentiles(times),
        perSecond: round(times.length / (wallMs / 1000)),
        cpuMsPer: perRequest(counted.reduce((sum, [, ms]) => sum + ms, 0)),
        cpuMsByProcess: byProcess,
      };
      console.log(`  ${side.name}:`, result);
      return [side.name, result];
    }),
  );
}

// ─── A/B variants ──────────────────────────────────────────────────────────────────────────────────────

interface Variant {
  address: string;
  log: string;
  cpuRoots: () => Map<number, string>;
}

/**
 * Variant A and B of BENCH_AB: each a Temporal dev server (same flags as scripts/stack/temporal.ts, plus its
 * dynamic-config overrides) and a worker process (A from BENCH_AB_A_REF's code when set).
 */
async function startVariants({ supervisor, childEnv, cpu, cli }: { supervisor: Supervisor; childEnv: NodeJS.ProcessEnv; cpu: CpuMeter; cli: string }): Promise<{ a: Variant; b: Variant }> {
  const start = async (name: 'a' | 'b', port: number, ref: string | undefined): Promise<Variant> => {
    const upper = name.toUpperCase();
    const temporal = await step(`Temporal (variant ${upper}) on 127.0.0.1:${port}`, () =>
      startDevServer(supervisor, cli, port, name, parsePairs(process.env[`BENCH_AB_${upper}_DYNAMIC_CONFIG`], (value) => JSON.parse(value) as unknown)),
    );
    const overlay = process.env[`BENCH_AB_${upper}_FILES`]?.split(',').filter(Boolean) ?? [];
    const root = ref ? checkoutRef(ref, path.join(dataDir, `variant-${name}`), overlay) : repoRoot;
    const log = path.join(logDir, `worker-${name}.log`);
    const env = { ...childEnv, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, WORKER_ROLES: 'cardlink-worker', ...parsePairs(process.env[`BENCH_AB_${upper}_ENV`], (value) => value) };
    const worker = supervisor.spawn(`worker-${name}`, process.execPath, ['--import', 'tsx', path.join(root, 'worker', 'main.ts')], { cwd: root, env, output: log });
    console.log(`  variant ${upper}: ${ref ? `code of ${ref}${overlay.length > 0 ? ` + ${overlay.join(', ')} from the working tree` : ''}` : 'working tree'}, worker env ${process.env[`BENCH_AB_${upper}_ENV`] ?? '(default)'}, dynamic config ${process.env[`BENCH_AB_${upper}_DYNAMIC_CONFIG`] ?? '(default)'}`);
    return {
      address: `127.0.0.1:${port}`,
      log,
      cpuRoots: () => {
        const roots = cpu.servicesRoots(['temporal']);
        if (worker.pid) roots.set(worker.pid, 'worker');
        if (temporal.pid) roots.set(temporal.pid, 'temporal');
        return roots;
      },
    };
  };
  return { a: await start('a', PORTS.temporal, process.env.BENCH_AB_A_REF), b: await start('b', PORTS.temporalB, undefined) };
}

/** `temporal server start-dev` as scripts/stack/temporal.ts runs it (SQLite file with WAL), with dynamic-config overrides. */
async function startDevServer(supervisor: Supervisor, cli: string, port: number, name: string, overrides: Record<string, unknown>): Promise<ChildProcess> {
  const dbFile = path.join(dataDir, `temporal-${name}`, 'temporal.db');
  fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--headless'];
  args.push('--db-filename', dbFile, '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  for (const [attribute, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${attribute}=${type}`);
  for (const [key, value] of Object.entries({ ...DYNAMIC_CONFIG, ...overrides })) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  const proc = supervisor.spawn(`temporal-${name}`, cli, args, { output: path.join(logDir, `temporal-${name}.log`) });
  await waitFor(
    `Temporal on 127.0.0.1:${port}`,
    async () => spawnSync(cli, ['operator', 'cluster', 'health', '--address', `127.0.0.1:${port}`], { stdio: 'ignore' }).status === 0,
    { timeoutMs: 90_000, intervalMs: 300 },
  );
  return proc;
}

/**
 * The tree of a git ref, unpacked under .data/ (modules resolve up to the checkout's node_modules), with this
 * tree's generated Prisma client and `overlay` files copied from the working tree (to isolate one change).
 */
function checkoutRef(ref: string, dir: string, overlay: string[]): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const archive = spawnSync('sh', ['-c', `git archive "$0" | tar -x -C "$1"`, ref, dir], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  if (archive.status !== 0) throw new Error(`could not unpack git ref ${ref}`);
  for (const file of [path.join('server', 'db', 'generated'), ...overlay]) fs.cpSync(path.join(repoRoot, file), path.join(dir, file), { recursive: true });
  return dir;
}

function parsePairs<T>(text: string | undefined, parse: (value: string) => T): Record<string, T> {
  if (!text) return {};
  return Object.fromEntries(
    text.split(';').map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`expected key=value, got ${JSON.stringify(pair)}`);
      return [pair.slice(0, at).trim(), parse(pair.slice(at + 1).trim())];
    }),
  );
}

// ─── CPU per process tree ──────────────────────────────────────────────────────────────────────────────

/** What a link costs the stack: the partner sandbox (a stand-in for the banks) and the idle Kafka are left out. */
const COUNTED_PROCESSES = new Set(['worker', 'temporal', 'postgres', 'console', 'bench']);

interface CpuMeter {
  sample(): CpuSample;
  /** CPU ms spent since `before` per named tree (a root pid and its descendants), `other` (the rest of the host) and `steal`. */
  msSince(before: CpuSample, roots: Map<number, string>): Record<string, number>;
  /** This process and the supervised services, named (postgres, temporal, kafka, console, partner-sandbox); `skip` leaves names out. */
  servicesRoots(skip?: string[]): Map<number, string>;
}

function cpuMeter(supervisor: Supervisor): CpuMeter {
  return {
    sample: sampleCpu,
    msSince: (before, roots) => Object.fromEntries(Object.entries(cpuSpent(before, sampleCpu(), roots)).map(([name, seconds]) => [name, seconds * 1000])),
    servicesRoots(skip = []) {
      const roots = new Map<number, string>([[process.pid, 'bench']]);
      for (const pid of supervisor.pids) {
        const command = readCmdline(pid);
        if (!command) continue;
        const service = serviceName(pid);
        // Anything unnamed (e.g. the other variant's worker) is left to `other`.
        const name = ['postgres', 'temporal', 'kafka'].includes(service)
          ? service
          : /next/.test(command)
            ? 'console'
            : /partner-sandbox|sandbox/.test(command)
              ? 'partner-sandbox'
              : undefined;
        if (name && !skip.includes(name)) roots.set(pid, name);
      }
      return roots;
    },
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function ratio(numerator: number, denominator: number): number {
  return round(numerator / denominator);
}

void main();
