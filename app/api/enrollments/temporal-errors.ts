import { isTemporalUnavailable } from '@/server/card-link/link-card.ts';
import { HttpError } from '@/server/http/api-route.ts';

/** Temporal being down is expected now and then: a 503 that says so, rather than a logged 500. */
export async function withTemporal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isTemporalUnavailable(err)) throw new HttpError(503, 'Temporal (the workflow engine) is unreachable right now; retry in a moment.');
    throw err;
  }
}
