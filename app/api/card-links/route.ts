import { ZodError } from 'zod';
import {
  CardLinkFailedError,
  DecisionPendingError,
  linkCard,
  PaymentMethodConflictError,
  TemporalUnavailableError,
  UnknownCustomerError,
  type LinkCardResult,
} from '@/server/card-link/link-card.ts';
import { cardLinkRequestSchema } from '@/server/card-link/requests.ts';
import { reEvaluationPolicyFrom } from '@/server/card-link/re-evaluation.ts';
import { auditedCardLinkCall } from '@/server/audit/card-link-calls.ts';
import { timedCardLinkCall } from '@/server/metrics/card-link-metrics.ts';
import { serviceTokenRefusal } from '@/server/card-link/service-token.ts';
import { db } from '@/server/db/client.ts';
import { env } from '@/server/env.ts';
import { HttpError } from '@/server/http/http-error.ts';
import { readJsonBody } from '@/server/http/json-body.ts';
import { logger } from '@/server/logger.ts';
import { temporal } from '@/server/temporal/client.ts';

export const dynamic = 'force-dynamic';

const route = '/api/card-links';
const noStore = { 'cache-control': 'no-store' };

/**
 * Links a card and answers with the decision in the same request: `linked` or `not_eligible` (final), or
 * `pending_reconciliation` at once for a multi-match. Re-sending the same card attaches to the same workflow.
 * A service API (the customer app's backend), authenticated by bearer token rather than a console session.
 */
async function handlePost(request: Request) {
  const refusal = serviceTokenRefusal(request.headers.get('authorization'), env().CARD_LINK_API_TOKEN);
  if (refusal) return Response.json({ error: refusal.error }, { status: refusal.status, headers: noStore });

  let body: unknown;
  try {
    body = await readJsonBody(request);
  } catch (err) {
    if (err instanceof HttpError) return Response.json({ error: err.message, ...err.details }, { status: err.status, headers: noStore });
    throw err;
  }

  // Deliberately no body in any log line: a client may have sent a PAN by mistake.
  let customerId: string | undefined;
  try {
    const input = cardLinkRequestSchema.parse(body);
    customerId = input.customerId;
    const deps = {
      db: db(),
      temporal: temporal(),
      decisionTimeoutMs: env().CARD_LINK_DECISION_TIMEOUT_MS,
      reEvaluation: reEvaluationPolicyFrom(env()),
      earlyReturn: env().CARD_LINK_EARLY_RETURN === 'on',
    };
    const result = await linkCard(deps, input);
    return Response.json(result satisfies LinkCardResult, { status: 200, headers: noStore });
  } catch (err) {
    if (err instanceof ZodError) {
      return Response.json({ error: 'Invalid card-link request.', issues: err.issues }, { status: 422, headers: noStore });
    }
    if (err instanceof UnknownCustomerError) {
      return Response.json({ error: err.message }, { status: 404, headers: noStore });
    }
    if (err instanceof PaymentMethodConflictError) {
      return Response.json({ error: err.message }, { status: 409, headers: noStore });
    }
    if (err instanceof CardLinkFailedError) {
      const failed = { workflowId: err.workflowId, type: err.type, step: err.step ?? null, reason: err.reason ?? null };
      if (err.causedByCard) {
        return Response.json({ error: `The card cannot be linked: ${err.message}`, ...failed }, { status: 422, headers: noStore });
      }
      logger.warn({ route, customerId, ...failed, message: err.message }, 'card link failed at a partner step');
      return Response.json(
        { error: 'The card partner could not decide on this card right now. Nothing was linked; retry later.', ...failed },
        { status: 502, headers: noStore },
      );
    }
    if (err instanceof TemporalUnavailableError) {
      logger.warn({ err, route, customerId }, 'card link refused: Temporal unavailable');
      return Response.json(
        { error: 'The card-link service is temporarily unavailable (workflow engine unreachable). Nothing was linked; retry shortly.' },
        { status: 503, headers: { ...noStore, 'retry-after': '5' } },
      );
    }
    if (err instanceof DecisionPendingError) {
      logger.warn({ route, customerId, workflowId: err.workflowId, waitedMs: err.waitedMs }, 'card-link decision not ready in time');
      return Response.json(
        {
          error: `The card link was accepted but has not decided within ${err.waitedMs} ms. It continues; re-send the same request to get the decision.`,
          workflowId: err.workflowId,
        },
        { status: 504, headers: { ...noStore, 'retry-after': '2' } },
      );
    }
    logger.error({ err, route, customerId }, 'card link failed unexpectedly');
    return Response.json({ error: 'Linking the card failed unexpectedly; see the console server log.' }, { status: 500, headers: noStore });
  }
}

/** Every call is audited with its outcome (card_link_api.call) and counted in the console's metrics. */
export const POST = auditedCardLinkCall(timedCardLinkCall(handlePost));
