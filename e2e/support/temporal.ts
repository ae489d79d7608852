import { Client, Connection } from '@temporalio/client';

/** `npm test` passes its Temporal; against `npm start`, the dev server. */
const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';

/** Waits for a workflow's result on a short-lived connection, always closed. */
export async function workflowResult<T>(workflowId: string): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return (await new Client({ connection, namespace }).workflow.getHandle(workflowId).result()) as T;
  } finally {
    await connection.close();
  }
}
