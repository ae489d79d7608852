import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildConsole, startBuiltConsole, startWorker } from './stack/app.ts';
import { percentiles, startBenchRun } from './stack/bench.ts';
import { startPartnerSandboxService } from './stack/partner-sandbox.ts';
import { dataRoot, repoRoot } from './stack/paths.ts';
import { assertPortsFree } from './stack/ports.ts';
import { step } from './stack/progress.ts';
import { startServices } from './stack/services.ts';
import { waitFor } from './stack/supervisor.ts';

/**
 * `npm run bench:cardlink`: round trip of the synchronous card-link API (`POST /api/card-links` on a production
 * build of the console: `next build` + `next start`) on services it starts itself, on its own ports and data dir:
 * Postgres, Kafka, Temporal (dev server, SQLite file like `npm start`), the partner sandbox (no injected latency)
 * and the real worker (worker/main.ts).
 *
 *   sync        N sequential requests, each a new customer and card (a real link, not an idempotent re-hit)
 *   concurrent  N requests from C concurrent clients
 *   floor       N sequential Update-With-Starts of `emptyDecisionWorkflow` from this process's Temporal client:
 *               the same call shape, task queue and worker, answered in the first workflow task without
 *               activities — what Temporal itself costs, with no HTTP, database or partner call
 *   (printed only) up to 300 sequential linkCard() calls in this process: the API without HTTP and Next.js
 *
 * Progress goes to stdout; the LAST line is {"sync":{p50,p95,p99},"concurrent":{…},"floor":{…},"load1m":{start,end}}
 * in ms (load1m: the machine's 1-minute load average when the bench started and ended).
 * BENCH_REQUESTS (default 1000) and BENCH_CONCURRENCY (default 20) change the sizes.
 */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const WARMUP = 50;
/** Informational only: the same links through linkCard() in this process, to show what HTTP and Next.js add. */
const IN_PROCESS_REQUESTS = Math.min(REQUESTS, 300);
const PORTS = { console: 48500, sandbox: 48510, postgres: 48543, kafka: 48592, kafkaController: 48593, temporal: 48533 };
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

async function main(): Promise<void> {
  const cardLinkToken = randomUUID();
  const loadAtStart = Math.round(os.loadavg()[0]! * 100) / 100;
  const bench = startBenchRun('bench:cardlink', dataDir);
  fs.mkdirSync(logDir, { recursive: true });
  const { supervisor, cleanups, teardown } = bench;

  try {
    const consoleUrl = `http://127.0.0.1:${PORTS.console}`;
    await assertPortsFree([
      { port: PORTS.console, what: 'bench console', envVar: '(fixed in scripts/bench-cardlink.ts)' },
      { port: PORTS.sandbox, what: 'bench partner sandbox', envVar: '(fixed in scripts/bench-cardlink.ts)' },
    ]);
    console.log(`bench:cardlink: ${REQUESTS} requests sequential, ${REQUESTS} at ${CONCURRENCY} concurrent, ${REQUESTS} floor`);
    console.log(`  logs in ${path.relative(repoRoot, logDir)}/`);

    // The production build needs no services: build while they start (the env is only parsed, never dialled).
    const knownEnv = {
      DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${PORTS.postgres}/dashops`,
      KAFKA_BROKERS: `127.0.0.1:${PORTS.kafka}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
    };
    const built = step(`next build → ${nextDistDir}`, () => buildConsole(supervisor, { distDir: nextDistDir, env: { ...process.env, ...knownEnv }, logDir }));
    built.catch(() => undefined); // Awaited below; this only keeps an early failure from being "unhandled".

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
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...services.env, ...sandbox.env, CONSOLE_URL: consoleUrl, LOG_LEVEL: 'warn', CARD_LINK_API_TOKEN: cardLinkToken };
    Object.assign(process.env, sandbox.env);

    const { Client, Connection, WithStartWorkflowOperation } = await import('@temporalio/client');
    const { CARD_LINK_TASK_QUEUE, decisionUpdate } = await import('../server/card-link/contract.ts');
    const { CARD_LINK_ID_REUSE_POLICY } = await import('../server/card-link/link-card.ts');
    const { searchAttributes } = await import('../server/temporal/contract.ts');
    const { db } = await import('../server/db/client.ts');
    const connection = await Connection.connect({ address: services.env.TEMPORAL_ADDRESS ?? '' });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: services.env.TEMPORAL_NAMESPACE ?? 'default' });

    startWorker(supervisor, { env: childEnv, output: path.join(logDir, 'worker.log') });
    await step(`Worker polling ${CARD_LINK_TASK_QUEUE}`, () =>
      waitFor(
        `a worker polling the ${CARD_LINK_TASK_QUEUE} task queue (see ${path.relative(repoRoot, logDir)}/worker.log)`,
        async () => {
          const { pollers } = await client.workflowService.describeTaskQueue({
            namespace: client.options.namespace,
            taskQueue: { name: CARD_LINK_TASK_QUEUE },
            taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
          });
          return (pollers?.length ?? 0) > 0;
        },
        { timeoutMs: 180_000, intervalMs: 500 },
      ),
    );

    await built;
    await step(`Console (next start) on ${consoleUrl}`, () => startBuiltConsole(supervisor, { distDir: nextDistDir, env: childEnv, port: PORTS.console, logDir }));

    const run = randomUUID().slice(0, 8);
    const customerCount = 3 * WARMUP + 2 * REQUESTS + IN_PROCESS_REQUESTS;
    await step(`${customerCount} bench customers`, async () => {
      await db().customer.createMany({
        data: Array.from({ length: customerCount }, (_, i) => ({
          customerId: `bench-${run}-${i}`,
          name: `Bench ${i}`,
          email: `bench-${i}@example.com`,
          country: PARTNER_CARDS[i % PARTNER_CARDS.length]!.country,
        })),
      });
    });

    let next = 0;
    const outcomes = new Map<string, number>();
    const failures: string[] = [];
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
    const linkOnce = async (): Promise<number> => {
      const body = requestFor(next++);
      const started = performance.now();
      const res = await fetch(`${consoleUrl}/api/card-links`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${cardLinkToken}` },
        body: JSON.stringify(body),
      });
      const answer = (await res.json()) as { status?: string; error?: string };
      const elapsed = performance.now() - started;
      const key = res.status === 200 ? (answer.status ?? 'unknown') : `HTTP ${res.status}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (res.status !== 200 && failures.length < 5) failures.push(`HTTP ${res.status}: ${answer.error ?? JSON.stringify(answer)}`);
      return elapsed;
    };

    const sequential = async (label: string, count: number, once: () => Promise<number>) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        times.push(await once());
        if ((i + 1) % 100 === 0) console.log(`  ${label}: ${i + 1}/${count}, p50 so far ${percentiles(times).p50} ms`);
      }
      return times;
    };
    const concurrent = async (label: string, count: number, clients: number, once: () => Promise<number>) => {
      const times: number[] = [];
      let issued = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (issued < count) {
            issued++;
            times.push(await once());
            if (times.length % 100 === 0) console.log(`  ${label}: ${times.length}/${count}, p50 so far ${percentiles(times).p50} ms`);
          }
        }),
      );
      return times;
    };

    const { cardLinkRequestSchema, linkCard } = await import('../server/card-link/link-card.ts');
    const linkInProcess = async (): Promise<number> => {
      const request = cardLinkRequestSchema.parse(requestFor(next++));
      const started = performance.now();
      const result = await linkCard({ db: db(), temporal: client, decisionTimeoutMs: 30_000 }, request);
      const elapsed = performance.now() - started;
      outcomes.set(result.status, (outcomes.get(result.status) ?? 0) + 1);
      return elapsed;
    };

    let floorNext = 0;
    const floorOnce = async (): Promise<number> => {
      const i = floorNext++;
      const customerId = `bench-floor-${run}-${i}`;
      const card = PARTNER_CARDS[i % PARTNER_CARDS.length]!;
      const started = performance.now();
      await client.workflow.executeUpdateWithStart(decisionUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation('emptyDecisionWorkflow', {
          workflowId: `bench-floor:${run}:${i}`,
          taskQueue: CARD_LINK_TASK_QUEUE,
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

    console.log('\n━━ Warm-up (not counted)');
    await sequential('warm-up card links', WARMUP, linkOnce);
    await concurrent('warm-up card links (concurrent)', WARMUP * 2, CONCURRENCY, linkOnce);
    await sequential('warm-up floor', WARMUP, floorOnce);
    outcomes.clear();

    console.log(`\n━━ (a) POST /api/card-links, ${REQUESTS} sequential`);
    const sync = percentiles(await sequential('sync', REQUESTS, linkOnce));
    console.log('  sync (ms):', sync, Object.fromEntries(outcomes));
    const syncOutcomes = Object.fromEntries(outcomes);
    outcomes.clear();

    console.log(`\n━━ (b) POST /api/card-links, ${REQUESTS} from ${CONCURRENCY} concurrent clients`);
    const concurrentStarted = performance.now();
    const conc = percentiles(await concurrent('concurrent', REQUESTS, CONCURRENCY, linkOnce));
    const throughput = REQUESTS / ((performance.now() - concurrentStarted) / 1000);
    console.log('  concurrent (ms):', conc, Object.fromEntries(outcomes), `${throughput.toFixed(0)} links/s`);
    const concurrentOutcomes = Object.fromEntries(outcomes);

    console.log(`\n━━ (c) floor: Update-With-Start of emptyDecisionWorkflow, ${REQUESTS} sequential`);
    const floor = percentiles(await sequential('floor', REQUESTS, floorOnce));
    console.log('  floor (ms):', floor);

    outcomes.clear();
    console.log(`\n━━ (informational) linkCard() in this process, no HTTP: ${IN_PROCESS_REQUESTS} sequential`);
    const inProcess = percentiles(await sequential('in-process', IN_PROCESS_REQUESTS, linkInProcess));
    console.log('  in-process linkCard (ms):', inProcess, Object.fromEntries(outcomes));
    await db().$disconnect();

    if (failures.length > 0) console.log('  first failures:', failures);
    const bad = [syncOutcomes, concurrentOutcomes].some((counts) => Object.keys(counts).some((key) => key.startsWith('HTTP')));
    await teardown();
    if (bad) throw new Error('some card-link requests did not answer 200 (see above); the figures are not valid');
    // The machine's load matters as much as the code on a shared 2-core box: report it with the figures.
    console.log(JSON.stringify({ sync, concurrent: conc, floor, load1m: { start: loadAtStart, end: Math.round(os.loadavg()[0]! * 100) / 100 } }));
    process.exit(0);
  } catch (err) {
    console.error('bench:cardlink failed:', err);
    await teardown();
    process.exit(1);
  }
}

void main();
