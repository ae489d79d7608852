import { db } from '../db/client.ts';
import { logger } from '../logger.ts';
import { auditText, recordSecurityEvent, SECURITY_AUDIT_ACTIONS } from './security-events.ts';

const MAX_INSPECTED_BYTES = 64 * 1024;

/** The customer a call was about, if its body names one; never anything else of the body (it may hold a PAN). */
async function customerOf(request: Request): Promise<string | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > MAX_INSPECTED_BYTES) return undefined;
  try {
    const body: unknown = JSON.parse(await request.text());
    const id = typeof body === 'object' && body !== null && 'customerId' in body ? body.customerId : undefined;
    return typeof id === 'string' ? auditText(id, 100) : undefined;
  } catch {
    // Not JSON: the call itself answered 400, which is what gets audited.
    return undefined;
  }
}

/** The outcome the answer reports (`linked`, `not_eligible`, …) or, for a refusal, its HTTP class. */
async function outcomeOf(response: Response): Promise<{ outcome: string; workflowId?: string }> {
  try {
    const body: unknown = await response.json();
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const outcome = typeof fields.status === 'string' ? fields.status : response.ok ? 'ok' : `http_${response.status}`;
    return { outcome: auditText(outcome, 64), ...(typeof fields.workflowId === 'string' ? { workflowId: auditText(fields.workflowId) } : {}) };
  } catch {
    return { outcome: response.ok ? 'ok' : `http_${response.status}` };
  }
}

/**
 * Wraps a card-link service API handler so each call is audited (`card_link_api.call`) with its method,
 * HTTP status, outcome and customer, after it is answered. A handler that throws is audited as 500.
 */
export function auditedCardLinkCall<Rest extends unknown[]>(handler: (request: Request, ...rest: Rest) => Promise<Response>) {
  return async (request: Request, ...rest: Rest): Promise<Response> => {
    const copy = request.clone();
    let response: Response | undefined;
    try {
      response = await handler(request, ...rest);
      return response;
    } finally {
      const [customerId, answer] = await Promise.all([customerOf(copy), response ? outcomeOf(response.clone()) : { outcome: 'error' }]);
      const path = new URL(request.url).pathname;
      await recordSecurityEvent(db(), {
        action: SECURITY_AUDIT_ACTIONS.cardLinkCall,
        actor: 'service:card-link',
        actorRole: 'service',
        target: customerId ? `customer:${customerId}` : auditText(path),
        details: { method: request.method, path: auditText(path), status: response?.status ?? 500, ...answer, ...(customerId ? { customerId } : {}) },
      }).catch((err: unknown) => {
        logger.error({ err, path }, 'card-link call: the audit row could not be written');
        throw err;
      });
    }
  };
}
