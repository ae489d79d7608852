import os from 'node:os';
import path from 'node:path';
import { percentiles, startBenchRun, type Percentiles } from './stack/bench.ts';
import { dataRoot, repoRoot } from './stack/paths.ts';
import { assertPortsFree } from './stack/ports.ts';
import { step } from './stack/progress.ts';
import { ensureTemporalCli, startTemporal } from './stack/temporal.ts';

/**
 * `npm run bench:temporal`: what Temporal itself costs on this machine, with nothing else running — the
 * building blocks of the card-link API's latency (bench:cardlink), measured apart from Postgres, Kafka,
 * Next.js and the partner sandbox. It starts only a Temporal dev server (SQLite file with WAL, the flags
 * `npm start` uses) and one worker in this process, then times, in interleaved rounds so every shape sees the
 * same load:
 *
 *   update-with-start   Update-With-Start of emptyDecisionWorkflow (gRPC client): bench:cardlink's floor
 *   start + result      start of an empty workflow, then its result (long poll), through the task queue
 *   eager start         the same, started eagerly: the first workflow task comes back in the start response
 *                       to the worker in this process (NativeConnection shared by client and worker)
 *   eager + N LAs       eager start of a workflow running N no-op local activities in a row (N = 1, 2, 4)
 *
 * From the worker's own metrics (Temporal Core, Prometheus) it also prints where an eager empty workflow's time
 * goes: the start RPC, the worker's task processing, the completion RPC. The LAST line is JSON:
 * {"updateWithStart":{p50,p95,p99},"startResult":{…},"eager":{…},"eagerLocalActivities":{"1":{…},"2":{…},"4":{…}},
 *  "localActivityHopP50":ms,"load1m":{start,end}} in ms. BENCH_ROUNDS (default 8) × 25 runs per shape.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const PER_ROUND = 25;
const PORT = 48733;
const METRICS_PORT = 48734;
const TASK_QUEUE = 'bench-temporal';
const LA_COUNTS = [1, 2, 4] as const;
const dataDir = path.join(dataRoot, 'bench-temporal');

async function main(): Promise<void> {
  const loadAtStart = round(os.loadavg()[0]!);
  const { supervisor, cleanups, teardown } = startBenchRun('bench:temporal', dataDir);

  try {
    await assertPortsFree([
      { port: PORT, what: 'bench Temporal', envVar: '(fixed in scripts/bench-temporal.ts)' },
      { port: METRICS_PORT, what: 'bench worker metrics', envVar: '(fixed in scripts/bench-temporal.ts)' },
    ]);
    console.log(`bench:temporal: ${ROUNDS} rounds × ${PER_ROUND} runs of each shape; logs in ${path.relative(repoRoot, dataDir)}/`);
    const cli = await ensureTemporalCli();
    await step(`Temporal dev server on 127.0.0.1:${PORT}`, () =>
      startTemporal(supervisor, { cli, port: PORT, dbFile: path.join(dataDir, 'temporal.db'), logFile: path.join(dataDir, 'temporal.log') }),
    );

    const { Client, Connection, WithStartWorkflowOperation } = await import('@temporalio/client');
    const { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } = await import('@temporalio/worker');
    const { decisionUpdate, WORKFLOW_TYPES } = await import('../server/temporal/contract.ts');
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${METRICS_PORT}`, useSecondsForDurations: false } } },
    });
    const address = `127.0.0.1:${PORT}`;
    const native = await NativeConnection.connect({ address });
    const grpc = await Connection.connect({ address });
    cleanups.push(() => native.close(), () => grpc.close());
    // The eager path needs the client on the worker's NativeConnection; the others use the gRPC client the console uses.
    const eagerClient = new Client({ connection: native });
    const client = new Client({ connection: grpc });

    const workflowBundle = await step('Bundling the workflows', () =>
      bundleWorkflowCode({ workflowsPath: path.join(repoRoot, 'worker', 'workflows', 'index.ts'), logger: new DefaultLogger('WARN') }),
    );
    const worker = await Worker.create({
      connection: native,
      taskQueue: TASK_QUEUE,
      workflowBundle,
      activities: { benchNoop: async () => undefined },
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });

    let id = 0;
    const timed = (run: () => Promise<unknown>) => async () => {
      const started = performance.now();
      await run();
      return performance.now() - started;
    };
    const floorInput = (i: number) => ({
      customerId: `bench-${i}`,
      card: { paymentMethodId: `pm_${i}`, fingerprint: `fp_bench_${i}`, bin: '414721', last4: '4242', country: 'US', network: 'visa', expMonth: 12, expYear: 2030 },
      requestedBy: 'bench',
    });
    const shapes: [string, () => Promise<number>][] = [
      [
        'update-with-start',
        timed(() => {
          const i = id++;
          return client.workflow.executeUpdateWithStart(decisionUpdate, {
            startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPES.emptyDecision, {
              workflowId: `bench-uws-${i}`,
              taskQueue: TASK_QUEUE,
              args: [floorInput(i)],
              workflowIdConflictPolicy: 'USE_EXISTING',
            }),
          });
        }),
      ],
      ['start + result', timed(() => client.workflow.execute(WORKFLOW_TYPES.localActivityChain, { workflowId: `bench-start-${id++}`, taskQueue: TASK_QUEUE, args: [0] }))],
      ...[0, ...LA_COUNTS].map(
        (count): [string, () => Promise<number>] => [
          count === 0 ? 'eager start' : `eager + ${count} LA`,
          timed(() =>
            eagerClient.workflow.execute(WORKFLOW_TYPES.localActivityChain, {
              workflowId: `bench-eager${count}-${id++}`,
              taskQueue: TASK_QUEUE,
              args: [count],
              requestEagerStart: true,
            }),
          ),
        ],
      ),
    ];

    await step('Warm-up (not counted)', async () => {
      for (const [, run] of shapes) for (let i = 0; i < 10; i++) await run();
    });
    const times = new Map<string, number[]>(shapes.map(([name]) => [name, []]));
    for (let r = 1; r <= ROUNDS; r++) {
      for (const [name, run] of shapes) for (let i = 0; i < PER_ROUND; i++) times.get(name)!.push(await run());
      console.log(`  round ${r}/${ROUNDS}: ${shapes.map(([name]) => `${name} p50 ${percentiles(times.get(name)!).p50}`).join(', ')}`);
    }

    // Where an eager empty workflow's time goes, from the worker's metrics (before/after a run of that shape only).
    const before = await coreMetrics();
    const eagerEmpty = shapes.find(([name]) => name === 'eager start')![1];
    for (let i = 0; i < 100; i++) await eagerEmpty();
    const after = await coreMetrics();
    const mean = (name: string) => {
      const sum = (after.get(`${name}_sum`) ?? 0) - (before.get(`${name}_sum`) ?? 0);
      const count = (after.get(`${name}_count`) ?? 0) - (before.get(`${name}_count`) ?? 0);
      return count > 0 ? round(sum / count) : NaN;
    };

    const result = Object.fromEntries([...times].map(([name, values]) => [name, percentiles(values)])) as Record<string, Percentiles>;
    const eagerP50 = result['eager start']!.p50;
    const hop = round((result['eager + 4 LA']!.p50 - eagerP50) / 4);
    console.log('\n━━ Round trip (ms)');
    for (const [name, p] of Object.entries(result)) console.log(`  ${name.padEnd(20)} p50 ${p.p50}  p95 ${p.p95}  p99 ${p.p99}`);
    console.log(`  one no-op local activity adds ~${hop} ms at p50 ((eager + 4 LA − eager) / 4)`);
    console.log('\n━━ Eager empty workflow, mean per run (ms), from the worker metrics');
    console.log(`  StartWorkflowExecution RPC (server persists the start, hands back the task)  ${mean('temporal_request_latency{operation="StartWorkflowExecution"}')}`);
    console.log(`  workflow task in the worker (activation in Node)                             ${mean('temporal_workflow_task_execution_latency')}`);
    console.log(`  RespondWorkflowTaskCompleted RPC (server persists the completion)            ${mean('temporal_request_latency{operation="RespondWorkflowTaskCompleted"}')}`);
    console.log(`  result long poll, start to answer                                             ${mean('temporal_long_request_latency{operation="GetWorkflowExecutionHistory"}')}`);

    await teardown();
    console.log(
      JSON.stringify({
        updateWithStart: result['update-with-start'],
        startResult: result['start + result'],
        eager: result['eager start'],
        eagerLocalActivities: Object.fromEntries(LA_COUNTS.map((count) => [count, result[`eager + ${count} LA`]])),
        localActivityHopP50: hop,
        load1m: { start: loadAtStart, end: round(os.loadavg()[0]!) },
      }),
    );
    process.exit(0);
  } catch (err) {
    console.error('bench:temporal failed:', err);
    await teardown();
    process.exit(1);
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The worker's Prometheus histograms as `name{labels}_sum|_count` → value, with the namespace/queue labels dropped. */
async function coreMetrics(): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+?)_(sum|count)(\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (!match) continue;
    const operation = /operation="(\w+)"/.exec(match[3] ?? '')?.[1];
    const key = `${match[1]}${operation ? `{operation="${operation}"}` : ''}_${match[2]}`;
    values.set(key, (values.get(key) ?? 0) + Number(match[4]));
  }
  return values;
}

void main();
