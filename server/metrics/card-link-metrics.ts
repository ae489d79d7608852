import { metrics } from './registry.ts';

/** The label for a `POST /api/card-links` answer: the decision's status, or what kind of refusal or failure it was. */
export function cardLinkOutcome(httpStatus: number, body: unknown): { outcome: string; partner: string } {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (httpStatus === 200 && typeof fields.status === 'string') {
    return { outcome: fields.status, partner: typeof fields.partnerId === 'string' ? fields.partnerId : 'none' };
  }
  const outcome = httpStatus === 502 ? 'partner_error' : httpStatus === 503 ? 'unavailable' : httpStatus === 504 ? 'timeout' : httpStatus >= 500 ? 'error' : 'refused';
  return { outcome, partner: 'unknown' };
}

/**
 * Wraps the card-link API's POST handler so each answer counts in `dashops_card_link_decisions_total` (outcome,
 * partner) and its duration in `dashops_card_link_sync_seconds`: the synchronous wait the customer app sees. A
 * handler that throws counts as `error` and is rethrown.
 */
export function timedCardLinkCall<Rest extends unknown[]>(handler: (request: Request, ...rest: Rest) => Promise<Response>) {
  return async (request: Request, ...rest: Rest): Promise<Response> => {
    const started = performance.now();
    const record = (labels: { outcome: string; partner: string }) => {
      const m = metrics();
      m.cardLinkDecisions.inc(labels);
      m.cardLinkSyncSeconds.observe({ outcome: labels.outcome }, (performance.now() - started) / 1000);
    };
    let response: Response;
    try {
      response = await handler(request, ...rest);
    } catch (err) {
      record({ outcome: 'error', partner: 'unknown' });
      throw err;
    }
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => null);
    record(cardLinkOutcome(response.status, body));
    return response;
  };
}
