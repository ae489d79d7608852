import type { Actor } from '../auth/actor.ts';
import { recordAudit } from '../audit/audit-row.ts';
import type { PrismaClient } from '../db/generated/client.ts';
import { cardLinkWorkflowId, parseCardLinkWorkflowId } from '../temporal/contract.ts';
import { ActionNotAllowedError, EnrollmentNotFoundError, getEnrollment, InvalidEnrollmentQueryError } from './enrollments.ts';
import { DecisionPendingError, linkCard, NothingToRecheckError, type LinkCardDeps, type LinkCardResult } from './link-card.ts';
import { recheckSchema, type CardLinkRequest, type RecheckInput } from './requests.ts';

const RECHECKERS: readonly Actor['role'][] = ['support', 'admin'];

export const RECHECK_ELIGIBILITY_ACTION = 'card_link.recheck_eligibility';


export interface RecheckDeps extends Omit<LinkCardDeps, 'db'> {
  db: Pick<PrismaClient, '$queryRaw' | 'paymentMethod' | 'auditLog'>;
}

/**
 * Support re-checks a decided card now, whatever its cool-down: the card's next evaluation generation runs
 * (see linkCard) with the stored card facts. Only the card's latest evaluation can be re-checked, and only once
 * it has closed without linking. Audited with the reason and the new evaluation's outcome.
 */
export async function recheckEligibility(deps: RecheckDeps, workflowId: string, input: RecheckInput, actor: Actor): Promise<LinkCardResult> {
  if (!RECHECKERS.includes(actor.role)) throw new ActionNotAllowedError(`role ${actor.role} may not re-check eligibility (support or admin only)`);
  const parsed = parseCardLinkWorkflowId(workflowId);
  if (!parsed) throw new InvalidEnrollmentQueryError(`${workflowId} is not a card-link workflow id`);
  const { reason } = recheckSchema.parse(input);

  const card = await deps.db.paymentMethod.findUnique({ where: { customerId_fingerprint: { customerId: parsed.customerId, fingerprint: parsed.fingerprint } } });
  if (!card) throw new EnrollmentNotFoundError(workflowId);
  const latest = cardLinkWorkflowId(parsed.customerId, parsed.fingerprint, card.linkGeneration);
  if (latest !== workflowId) throw new NothingToRecheckError(`a newer evaluation of this card exists (${latest}): re-check that one`);
  const enrollment = await getEnrollment(deps.temporal, workflowId);
  if (enrollment.status === 'RUNNING') throw new NothingToRecheckError(`${workflowId} is still running: it has not decided for good yet`);

  const request: CardLinkRequest = {
    customerId: parsed.customerId,
    card: {
      paymentMethodId: card.paymentMethodId,
      fingerprint: card.fingerprint,
      bin: card.bin,
      last4: card.last4,
      country: card.country,
      network: card.network as CardLinkRequest['card']['network'],
      expMonth: card.expMonth,
      expYear: card.expYear,
    },
  };
  const audit = (details: { workflowId: string; status: string }) =>
    recordAudit(deps.db, { actor, action: RECHECK_ELIGIBILITY_ACTION, target: `workflow:${workflowId}`, reason, details: { previous: workflowId, ...details } });
  let result: LinkCardResult;
  try {
    result = await linkCard({ ...deps, db: deps.db }, request, { requestedBy: actor.id, force: true });
  } catch (err) {
    // The new evaluation runs on; what it decides shows on its own enrollment.
    if (err instanceof DecisionPendingError) await audit({ workflowId: err.workflowId, status: 'decision_pending' });
    throw err;
  }
  await audit({ workflowId: result.workflowId, status: result.status });
  return result;
}
