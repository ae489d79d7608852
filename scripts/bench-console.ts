import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildConsole, startBuiltConsole, startWorker } from './stack/app.ts';
import { percentiles, signInOverHttp, startBenchRun, type Percentiles } from './stack/bench.ts';
import { startPartnerSandboxService } from './stack/partner-sandbox.ts';
import { dataRoot, repoRoot } from './stack/paths.ts';
import { assertPortsFree } from './stack/ports.ts';
import { step } from './stack/progress.ts';
import { startServices } from './stack/services.ts';

/**
 * `npm run bench:console`: server response time of the console's three busiest reads, on a production build
 * (`next build` + `next start`) and services this script starts on its own ports and data dir:
 *
 *   inventory search   GET /api/inventory/levels  over 100k inventory_levels rows (100 stores × 1,000 SKUs)
 *   enrollment search  GET /api/enrollments       with 10k card-link workflows in Temporal's visibility store
 *   DLQ list           GET /api/dead-letters      over 10k dead letters
 *
 * Each is timed from request to the last byte of the answer over loopback, signed in as the admin, for
 * BENCH_REQUESTS (default 300) sequential requests after 30 warm-ups, rotating over realistic filters.
 * Progress goes to stdout; the LAST line is {"inventory_search_p95_ms":…,"enrollment_search_p95_ms":…,"dlq_list_p95_ms":…}.
 */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const WARMUP = 30;
const STORES = 100;
const SKUS = 1000;
const DEAD_LETTERS = 10_000;
const WORKFLOWS = 10_000;
/** Customers with real card links (searched); the rest of the 10k workflows belong to filler customers. */
const SEARCHED_CUSTOMERS = 20;
const PORTS = { console: 48600, sandbox: 48610, postgres: 48643, kafka: 48692, kafkaController: 48693, temporal: 48633 };
const dataDir = path.join(dataRoot, 'bench-console');
/** Inside .data/: gitignored, outside ESLint and tsc, and kept between runs so rebuilds are incremental. */
const nextDistDir = path.relative(repoRoot, path.join(dataRoot, 'bench-console-next'));
const logDir = path.join(dataDir, 'logs');

async function main(): Promise<void> {
  const bench = startBenchRun('bench:console', dataDir);
  fs.mkdirSync(logDir, { recursive: true });
  const { supervisor, cleanups, teardown } = bench;

  try {
    await assertPortsFree([
      { port: PORTS.console, what: 'bench console', envVar: '(fixed in scripts/bench-console.ts)' },
      { port: PORTS.sandbox, what: 'bench partner sandbox', envVar: '(fixed in scripts/bench-console.ts)' },
    ]);
    console.log(`bench:console: ${REQUESTS} requests per read; ${STORES * SKUS} inventory rows, ${WORKFLOWS} workflows, ${DEAD_LETTERS} dead letters`);
    console.log(`  logs in ${path.relative(repoRoot, logDir)}/`);
    const authSecret = randomUUID() + randomUUID();
    const cardLinkToken = randomUUID();
    const knownEnv = {
      DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${PORTS.postgres}/dashops`,
      KAFKA_BROKERS: `127.0.0.1:${PORTS.kafka}`,
      TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
      AUTH_SECRET: authSecret,
    };
    // The production build needs no services: build while they start (the env is only parsed, never dialled).
    const built = step(`next build → ${nextDistDir}`, () => buildConsole(supervisor, { distDir: nextDistDir, env: { ...process.env, ...knownEnv }, logDir }));

    const services = (bench.services = await startServices(supervisor, { dataDir, ports: { ...PORTS, temporalUi: undefined }, persistentTemporal: true, withTestServer: false }));
    Object.assign(process.env, services.env, { LOG_LEVEL: 'warn' });
    const consoleUrl = `http://127.0.0.1:${PORTS.console}`;
    const { prepareDatabase } = await import('./stack/database.ts');
    const [sandbox, database] = await Promise.all([
      step(`Partner sandbox on 127.0.0.1:${PORTS.sandbox}`, () =>
        startPartnerSandboxService(supervisor, {
          port: PORTS.sandbox,
          portEnvVar: '(fixed in scripts/bench-console.ts)',
          consoleUrl,
          logFile: path.join(logDir, 'partner-sandbox.log'),
        }),
      ),
      step('Database migrations and demo data', () => prepareDatabase({ demoUsers: true })),
    ]);
    const admin = database.logins.find((login) => login.role === 'admin');
    if (!admin) throw new Error('no admin login was seeded');
    // No CDC relay: the 100k seeded rows would otherwise stream through the pipeline while we measure reads.
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...services.env, ...sandbox.env, CONSOLE_URL: consoleUrl, AUTH_SECRET: authSecret, CARD_LINK_API_TOKEN: cardLinkToken, LOG_LEVEL: 'warn', CDC_RELAY: 'off' };
    Object.assign(process.env, sandbox.env);
    startWorker(supervisor, { env: childEnv, output: path.join(logDir, 'worker.log') });

    const { db } = await import('../server/db/client.ts');
    const { Client, Connection } = await import('@temporalio/client');
    const { searchAttributes, WORKFLOW_TYPES } = await import('../server/temporal/contract.ts');
    const connection = await Connection.connect({ address: services.env.TEMPORAL_ADDRESS ?? '' });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: services.env.TEMPORAL_NAMESPACE ?? 'default' });

    await step(`${STORES * SKUS} inventory rows (${STORES} stores × ${SKUS} SKUs) with availability`, async () => {
      await db().$executeRawUnsafe(`
        INSERT INTO stores (store_id, name, city)
          SELECT format('bench-%s', lpad(s::text, 3, '0')), format('Bench store %s', s), 'Benchville' FROM generate_series(0, ${STORES - 1}) s
          ON CONFLICT DO NOTHING;
        INSERT INTO catalog_items (sku, name, category, reorder_point)
          SELECT format('BENCH-%s', lpad(k::text, 4, '0')), format('Bench item %s %s', k, (ARRAY['milk','bread','eggs','rice','soap'])[1 + k % 5]),
                 (ARRAY['dairy','bakery','pantry','household'])[1 + k % 4], 5 + k % 10
          FROM generate_series(0, ${SKUS - 1}) k ON CONFLICT DO NOTHING;`);
      await db().$executeRawUnsafe(`
        INSERT INTO inventory_levels (store_id, sku, on_hand, updated_at)
          SELECT format('bench-%s', lpad(s::text, 3, '0')), format('BENCH-%s', lpad(k::text, 4, '0')), (s * 7 + k * 13) % 60, now() - (k || ' minutes')::interval
          FROM generate_series(0, ${STORES - 1}) s, generate_series(0, ${SKUS - 1}) k ON CONFLICT DO NOTHING`);
      await db().$executeRawUnsafe(`
        INSERT INTO catalog_availability (store_id, sku, available)
          SELECT store_id, sku, on_hand > 0 FROM inventory_levels WHERE store_id LIKE 'bench-%' ON CONFLICT DO NOTHING`);
      await db().$executeRawUnsafe('ANALYZE inventory_levels; ANALYZE catalog_availability; ANALYZE catalog_items');
    });

    await step(`${DEAD_LETTERS} dead letters`, async () => {
      await db().$executeRawUnsafe(`
        INSERT INTO dead_letters (topic, partition, "offset", message_key, payload, headers, sub_processor, table_name, row_key, updated,
                                  error_message, error_stack, attempts, first_failed_at, last_failed_at, status, created_at)
          SELECT (ARRAY['inventory_levels','inventory_lots'])[1 + i % 2], i % 3, i, format('["bench-%s","BENCH-%s"]', i % 100, i % 1000),
                 format('{"after":{"store_id":"bench-%s","sku":"BENCH-%s","on_hand":%s},"updated":"%s.0000000000"}', i % 100, i % 1000, i % 50, 1700000000000000000 + i),
                 '{}'::jsonb, (ARRAY['availability-sync','low-stock-replenishment','expiry-write-off'])[1 + i % 3],
                 (ARRAY['inventory_levels','inventory_lots'])[1 + i % 2], format('["bench-%s","BENCH-%s"]', i % 100, i % 1000), format('%s.0000000000', 1700000000000000000 + i),
                 (ARRAY['Temporal unavailable: deadline exceeded','invalid change: carries neither before nor after','signal rejected: workflow task failed'])[1 + i % 3],
                 'Error: bench\n    at bench (bench.ts:1:1)', 3 + i % 3, now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval,
                 (ARRAY['pending','pending','replayed','superseded','discarded'])[1 + i % 5]::"DeadLetterStatus", now() - (i || ' seconds')::interval
          FROM generate_series(1, ${DEAD_LETTERS}) i`);
      await db().$executeRawUnsafe('ANALYZE dead_letters');
    });

    const run = randomUUID().slice(0, 8);
    const searched = Array.from({ length: SEARCHED_CUSTOMERS }, (_, i) => `cus_bench_${run}_${i}`);
    await step(`${WORKFLOWS} card-link workflows (${SEARCHED_CUSTOMERS} customers linked for real, the rest idle fillers)`, async () => {
      await db().customer.createMany({
        data: searched.map((customerId, i) => ({ customerId, name: `Bench ${i}`, email: `bench-${i}@example.com`, country: 'US' })),
      });
      // Fillers sit on a task queue no worker polls: they stay Running in visibility and cost nothing else.
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < WORKFLOWS - SEARCHED_CUSTOMERS) {
            const i = next++;
            const customerId = `cus_filler_${run}_${i % 5000}`;
            await client.workflow.start(WORKFLOW_TYPES.cardLink, {
              workflowId: `card-link:${customerId}:fp_filler_${i}`,
              taskQueue: 'bench-console-idle',
              args: [{ customerId, card: { paymentMethodId: `pm_filler_${i}`, fingerprint: `fp_filler_${i}`, bin: '414721', last4: '4242', country: 'US', network: 'visa', expMonth: 12, expYear: 2030 }, requestedBy: 'bench' }],
              typedSearchAttributes: [{ key: searchAttributes.customerId, value: customerId }],
            });
            if ((i + 1) % 1000 === 0) console.log(`    ${i + 1} filler workflows`);
          }
        }),
      );
    });

    await built;
    await step(`Console (next start) on ${consoleUrl}`, () => startBuiltConsole(supervisor, { distDir: nextDistDir, env: childEnv, port: PORTS.console, logDir }));
    await step(`Real card links for ${SEARCHED_CUSTOMERS} customers`, async () => {
      for (const [i, customerId] of searched.entries()) {
        const res = await fetch(`${consoleUrl}/api/card-links`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${cardLinkToken}` },
          body: JSON.stringify({
            customerId,
            card: { fingerprint: `fp_bench_${run}_${i}`, bin: '414721', last4: String(1000 + i), country: 'US', network: 'visa', expMonth: 12, expYear: new Date().getUTCFullYear() + 3 },
          }),
        });
        if (res.status !== 200) throw new Error(`card link for ${customerId} answered ${res.status}: ${await res.text()}`);
      }
    });
    const cookie = await signInOverHttp(consoleUrl, admin.username, admin.password);

    const inventoryQueries = Array.from({ length: 50 }, (_, i) => {
      const store = `bench-${String((i * 37) % STORES).padStart(3, '0')}`;
      const variants = [`storeId=${store}`, `storeId=${store}&sku=BENCH-0${i % 10}`, `sku=BENCH-00${i % 10}`, `storeId=${store}&q=milk`];
      return `/api/inventory/levels?${variants[i % variants.length]}`;
    });
    const enrollmentQueries = searched.map((customerId) => `/api/enrollments?customerId=${customerId}`);
    const dlqQueries = [
      '/api/dead-letters',
      '/api/dead-letters?status=pending',
      '/api/dead-letters?subProcessor=low-stock-replenishment',
      '/api/dead-letters?topic=inventory_lots&status=pending',
      '/api/dead-letters?q=deadline',
    ];

    /** Every timed read must find something: a fast empty answer would prove nothing. */
    const measure = async (label: string, urls: string[], rowsOf: (body: unknown) => unknown[]): Promise<Percentiles> => {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < WARMUP + REQUESTS; i++) {
        const url = urls[i % urls.length]!;
        const started = performance.now();
        const res = await fetch(`${consoleUrl}${url}`, { headers: { cookie, accept: 'application/json' } });
        const body = await res.text();
        const elapsed = performance.now() - started;
        if (res.status !== 200) throw new Error(`${label}: GET ${url} answered ${res.status}: ${body.slice(0, 300)}`);
        const found = rowsOf(JSON.parse(body)).length;
        if (found === 0) throw new Error(`${label}: GET ${url} found nothing; the bench data or the query is wrong`);
        rows += found;
        if (i >= WARMUP) times.push(elapsed);
        if ((i + 1 - WARMUP) % 100 === 0 && i >= WARMUP) console.log(`  ${label}: ${times.length}/${REQUESTS}, p95 so far ${percentiles(times).p95} ms`);
      }
      const result = percentiles(times);
      console.log(`  ${label} (ms):`, result, `${(rows / (WARMUP + REQUESTS)).toFixed(1)} rows per answer`);
      return result;
    };

    console.log('\n━━ Reads (sequential, signed in as admin)');
    const inventory = await measure('inventory search', inventoryQueries, (body) => (body as { rows: unknown[] }).rows);
    const enrollments = await measure('enrollment search', enrollmentQueries, (body) => (body as { enrollments: unknown[] }).enrollments);
    const dlq = await measure('DLQ list', dlqQueries, (body) => (body as { items: unknown[] }).items);
    await db().$disconnect();
    await teardown();
    console.log(JSON.stringify({ inventory_search_p95_ms: inventory.p95, enrollment_search_p95_ms: enrollments.p95, dlq_list_p95_ms: dlq.p95 }));
    process.exit(0);
  } catch (err) {
    console.error('bench:console failed:', err);
    await teardown();
    process.exit(1);
  }
}

void main();
