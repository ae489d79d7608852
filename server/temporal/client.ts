import { Client, Connection } from '@temporalio/client';
import { env } from '../env.ts';

const globalForTemporal = globalThis as unknown as { dashopsTemporal?: Client };

/** One Temporal client per process over a lazy connection: nothing dials until the first call. */
export function temporal(): Client {
  globalForTemporal.dashopsTemporal ??= new Client({
    connection: Connection.lazy({ address: env().TEMPORAL_ADDRESS }),
    namespace: env().TEMPORAL_NAMESPACE,
  });
  return globalForTemporal.dashopsTemporal;
}
