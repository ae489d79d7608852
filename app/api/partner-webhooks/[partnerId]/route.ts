import { ZodError } from 'zod';
import { auditText, recordSecurityEvent, SECURITY_AUDIT_ACTIONS } from '@/server/audit/security-events.ts';
import {
  ReconciliationNotReadyError,
  receivePartnerWebhook,
  reconciliationWebhookBody,
  UnknownPartnerReferenceError,
  WebhookPartnerMismatchError,
} from '@/server/card-link/partner-webhook.ts';
import {
  InvalidWebhookSignatureError,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from '@/server/card-link/webhook-signature.ts';
import { isTemporalUnavailable } from '@/server/card-link/link-card.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { logger } from '@/server/logger.ts';
import { temporal } from '@/server/temporal/client.ts';

export const dynamic = 'force-dynamic';

const noStore = { 'cache-control': 'no-store' };
const MAX_BODY_BYTES = 64 * 1024;

/** Every refusal of a signature answers exactly this, so a caller learns nothing about why. */
const UNAUTHORIZED = { error: 'Unauthorized.' };

/**
 * A partner's answer to a multi-match, signed with that partner's secret (server/card-link/webhook-signature.ts).
 * 202 when signalled, 200 when it was already settled (repeats are safe), 503 + Retry-After while the
 * reconciliation has not started yet: partners retry on 5xx. Every delivery is audited with its outcome.
 */
export async function POST(request: Request, context: { params: Promise<{ partnerId: string }> }) {
  const { partnerId } = await context.params;
  const route = `/api/partner-webhooks/${auditText(partnerId, 64)}`;
  let reference: string | undefined;
  const answer = async (status: number, body: object, outcome: string, headers: Record<string, string> = {}) => {
    // The audit row is part of the answer: if it cannot be written the partner gets a 5xx and retries.
    await recordSecurityEvent(db(), {
      action: SECURITY_AUDIT_ACTIONS.webhookReceived,
      actor: `partner:${partnerId}`,
      actorRole: 'partner',
      target: reference ? `${partnerId}:${reference}` : partnerId,
      details: { partnerId: auditText(partnerId, 64), outcome, status, ...(reference ? { reference: auditText(reference) } : {}) },
    });
    return Response.json(body, { status, headers: { ...noStore, ...headers } });
  };
  try {
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > MAX_BODY_BYTES) return await answer(413, { error: `The body is limited to ${MAX_BODY_BYTES} bytes.` }, 'too_large');
    const raw = await request.text();
    if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return await answer(413, { error: `The body is limited to ${MAX_BODY_BYTES} bytes.` }, 'too_large');
    verifyWebhookSignature({
      secret: env().PARTNER_WEBHOOK_SECRETS.get(partnerId),
      timestamp: request.headers.get(WEBHOOK_TIMESTAMP_HEADER),
      signature: request.headers.get(WEBHOOK_SIGNATURE_HEADER),
      body: raw,
    });
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return await answer(400, { error: 'The request body must be JSON.' }, 'malformed');
    }
    const body = reconciliationWebhookBody.parse(json);
    reference = body.reference;
    const result = await receivePartnerWebhook({ db: db(), temporal: temporal() }, partnerId, body);
    logger.info({ route, reference, ...result }, 'partner webhook handled');
    return await answer(result.status === 'signalled' ? 202 : 200, result, result.status);
  } catch (err) {
    try {
      if (err instanceof InvalidWebhookSignatureError) {
        logger.warn({ route, why: err.why }, err.why === 'no_secret' ? 'partner webhook refused: no secret configured for this partner' : 'partner webhook refused: bad signature');
        return await answer(401, UNAUTHORIZED, `refused_${err.why}`);
      }
      if (err instanceof ZodError) {
        return await answer(422, { error: 'Invalid webhook body.', issues: err.issues }, 'invalid');
      }
      if (err instanceof WebhookPartnerMismatchError) return await answer(422, { error: err.message }, 'partner_mismatch');
      if (err instanceof UnknownPartnerReferenceError) return await answer(404, { error: err.message }, 'unknown_reference');
      if (isTemporalUnavailable(err)) {
        logger.warn({ err, route, reference }, 'partner webhook deferred: Temporal unavailable');
        return await answer(503, { error: 'Temporarily unavailable; retry shortly.' }, 'temporal_unavailable', { 'retry-after': '5' });
      }
      if (err instanceof ReconciliationNotReadyError) {
        return await answer(503, { error: `${err.message}; retry shortly` }, 'not_ready', { 'retry-after': '1' });
      }
      logger.error({ err, route, reference }, 'partner webhook failed unexpectedly');
      return await answer(500, { error: 'Handling the webhook failed unexpectedly; see the console server log.' }, 'error');
    } catch (auditErr) {
      logger.error({ err: auditErr, cause: err, route, reference }, 'partner webhook: the audit row could not be written');
      return Response.json({ error: 'Handling the webhook failed unexpectedly; see the console server log.' }, { status: 500, headers: noStore });
    }
  }
}
