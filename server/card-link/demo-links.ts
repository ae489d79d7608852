import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PrismaClient } from '../db/generated/client.ts';
import { cardLinkWorkflowId } from '../temporal/contract.ts';
import { CardLinkFailedError, DecisionPendingError, linkCard } from './link-card.ts';
import { cardLinkRequestSchema } from './requests.ts';
import { DEMO_CARDS, demoFingerprint, type DemoCard, type DemoScenario } from './seed.ts';

export interface DemoLinksDeps {
  db: Pick<PrismaClient, '$queryRaw'>;
  temporal: Client;
  /** How long each link waits for its decision; a slower one still runs on (reported as `started`). Default 30 s. */
  decisionTimeoutMs?: number;
  /** Tests run their own worker on their own queue. */
  taskQueue?: string;
}

export interface DemoLinkResult {
  customerId: string;
  workflowId: string;
  scenario: DemoScenario;
  /** `exists`: a card link was already there (any state) and was left alone. */
  result: 'exists' | 'started' | 'failed';
  /** The decision (linked, not_eligible, pending_reconciliation…, or how the run failed) when started; the error when failed. */
  detail: string;
}

async function exists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Starts a card link for every demo card that has none yet, so the console's Enrollments area shows every path
 * of the workflow (linked, not eligible, multi-match pending/matched/rejected, shadow mismatch). Idempotent: a
 * card whose workflow exists, in any state, is skipped. One card after another, in the seed's order: a
 * customer's first card takes the subscription, so the order decides each demo outcome. Needs the worker running.
 * A card that fails is reported and the rest go on; Temporal being unreachable throws.
 */
export async function startDemoCardLinks(deps: DemoLinksDeps, cards: readonly DemoCard[] = DEMO_CARDS): Promise<DemoLinkResult[]> {
  const results: DemoLinkResult[] = [];
  for (const card of cards) {
    const fingerprint = demoFingerprint(card.paymentMethodId);
    const workflowId = cardLinkWorkflowId(card.customerId, fingerprint);
    const base = { customerId: card.customerId, workflowId, scenario: card.scenario };
    if (await exists(deps.temporal, workflowId)) {
      results.push({ ...base, result: 'exists', detail: 'already linked or linking' });
      continue;
    }
    const request = cardLinkRequestSchema.parse({
      customerId: card.customerId,
      card: {
        paymentMethodId: card.paymentMethodId,
        fingerprint,
        bin: card.bin,
        last4: card.last4,
        country: card.country,
        network: card.network,
        expMonth: card.expMonth,
        expYear: card.expYear,
      },
    });
    try {
      const outcome = await linkCard(
        { db: deps.db, temporal: deps.temporal, decisionTimeoutMs: deps.decisionTimeoutMs ?? 30_000, taskQueue: deps.taskQueue },
        request,
        { requestedBy: 'demo-seed' },
      );
      results.push({ ...base, result: 'started', detail: outcome.status });
    } catch (err) {
      if (err instanceof DecisionPendingError) {
        results.push({ ...base, result: 'started', detail: 'decision pending' });
        continue;
      }
      if (err instanceof CardLinkFailedError) {
        // The run exists, closed as failed: that is the demo outcome for a card no partner issues.
        results.push({ ...base, result: 'started', detail: `workflow failed at ${err.step ?? 'a step'}: ${err.reason ?? err.type}` });
        continue;
      }
      if (err instanceof Error && err.name === 'TemporalUnavailableError') throw err;
      results.push({ ...base, result: 'failed', detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  }
  return results;
}
