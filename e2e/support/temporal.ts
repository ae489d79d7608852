import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';

/** `npm test` passes its Temporal; against `npm start`, the dev server. */
const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';

/** `work` with a Temporal client on a short-lived connection, always closed. */
async function withTemporal<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await work(new Client({ connection, namespace }));
  } finally {
    await connection.close();
  }
}

/** Waits for a workflow's result. */
export function workflowResult<T>(workflowId: string): Promise<T> {
  return withTemporal(async (client) => (await client.workflow.getHandle(workflowId).result()) as T);
}

/** Terminates whichever of these workflows still runs (a test that failed midway may leave one waiting); ids never started are passed over. */
export function endRunningWorkflows(workflowIds: string[], reason: string): Promise<void> {
  return withTemporal(async (client) => {
    for (const workflowId of workflowIds) {
      const handle = client.workflow.getHandle(workflowId);
      try {
        if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate(reason);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
  });
}
