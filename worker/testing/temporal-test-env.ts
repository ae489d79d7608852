import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import { searchAttributes } from '../../server/temporal/contract.ts';

/** An env var the test stack sets (npm test, npm run test:stack); a clear error when a test runs without it. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through \`npm test\`, which starts the services.`);
  return value;
}

const START_ATTEMPTS = 3;

/**
 * The time-skipping test server (TEMPORAL_TEST_SERVER_PATH, fetched by the test stack). Temporal Core gives the
 * spawned server 5 s to accept connections, which a 2-core machine under a full test run can miss: a start that
 * timed out is tried again, anything else fails at once. Start it before bundling workflows (webpack starves it).
 */
export async function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = requiredEnv('TEMPORAL_TEST_SERVER_PATH');
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    } catch (err) {
      const timedOut = err instanceof Error && /did not start within/.test(err.message);
      if (!timedOut || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

/** The dev server registers the search attributes at start; the time-skipping test server needs telling. */
export async function registerSearchAttributes(testEnv: TestWorkflowEnvironment): Promise<void> {
  await testEnv.connection.operatorService.addSearchAttributes({
    namespace: testEnv.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.values(searchAttributes).map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
}

/** A task queue of the test's own (named after it), so tests sharing a server never take each other's tasks. */
export const taskQueueFor = (title: string): string => `test-${title.replace(/\W+/g, '-').toLowerCase()}-${randomUUID().slice(0, 8)}`;

/**
 * Connections to the dev server at TEMPORAL_ADDRESS for the enclosing `describe` block, opened before its tests and
 * closed after: `nativeConnection()` for workers, `client()` for starting and signalling.
 */
export function useDevServer(): { nativeConnection: () => NativeConnection; client: () => Client } {
  let nativeConnection: NativeConnection | undefined;
  let connection: Connection | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    const address = requiredEnv('TEMPORAL_ADDRESS');
    nativeConnection = await NativeConnection.connect({ address });
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace: 'default' });
  });
  afterAll(async () => {
    await connection?.close();
    await nativeConnection?.close();
  });
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useDevServer(): its connections open in beforeAll; use them inside tests');
    return value;
  };
  return { nativeConnection: () => opened(nativeConnection), client: () => opened(client) };
}
