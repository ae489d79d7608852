import { ZodError } from 'zod';
import {
  checkWebhookSecret,
  InvalidWebhookSecretError,
  ReconciliationNotReadyError,
  receivePartnerWebhook,
  reconciliationWebhookBody,
  UnknownPartnerReferenceError,
  WEBHOOK_SECRET_HEADER,
  WebhookPartnerMismatchError,
} from '@/server/card-link/partner-webhook.ts';
import { isTemporalUnavailable } from '@/server/card-link/link-card.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { logger } from '@/server/logger.ts';
import { temporal } from '@/server/temporal/client.ts';

export const dynamic = 'force-dynamic';

const noStore = { 'cache-control': 'no-store' };

/**
 * A partner's answer to a multi-match. 202 when signalled, 200 when it was already settled (repeats are safe),
 * 503 + Retry-After while the reconciliation has not started yet: partners retry on 5xx.
 */
export async function POST(request: Request, context: { params: Promise<{ partnerId: string }> }) {
  const { partnerId } = await context.params;
  const route = `/api/partner-webhooks/${partnerId}`;
  let reference: string | undefined;
  try {
    checkWebhookSecret(env().PARTNER_WEBHOOK_SECRET, request.headers.get(WEBHOOK_SECRET_HEADER));
    let raw: unknown;
    try {
      raw = await request.json();
    } catch {
      return Response.json({ error: 'The request body must be JSON.' }, { status: 400, headers: noStore });
    }
    const body = reconciliationWebhookBody.parse(raw);
    reference = body.reference;
    const result = await receivePartnerWebhook({ db: db(), temporal: temporal() }, partnerId, body);
    logger.info({ route, reference, ...result }, 'partner webhook handled');
    return Response.json(result, { status: result.status === 'signalled' ? 202 : 200, headers: noStore });
  } catch (err) {
    if (err instanceof InvalidWebhookSecretError) {
      logger.warn({ route }, 'partner webhook refused: bad secret');
      return Response.json({ error: err.message }, { status: 401, headers: noStore });
    }
    if (err instanceof ZodError) {
      return Response.json({ error: 'Invalid webhook body.', issues: err.issues }, { status: 422, headers: noStore });
    }
    if (err instanceof WebhookPartnerMismatchError) {
      return Response.json({ error: err.message }, { status: 422, headers: noStore });
    }
    if (err instanceof UnknownPartnerReferenceError) {
      return Response.json({ error: err.message }, { status: 404, headers: noStore });
    }
    if (isTemporalUnavailable(err)) {
      logger.warn({ err, route, reference }, 'partner webhook deferred: Temporal unavailable');
      return Response.json({ error: 'Temporarily unavailable; retry shortly.' }, { status: 503, headers: { ...noStore, 'retry-after': '5' } });
    }
    if (err instanceof ReconciliationNotReadyError) {
      return Response.json({ error: `${err.message}; retry shortly` }, { status: 503, headers: { ...noStore, 'retry-after': '1' } });
    }
    logger.error({ err, route, reference }, 'partner webhook failed unexpectedly');
    return Response.json({ error: 'Handling the webhook failed unexpectedly; see the console server log.' }, { status: 500, headers: noStore });
  }
}
