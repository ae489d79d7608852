import type { SearchAttributeUpdatePair, TypedSearchAttributes } from '@temporalio/common';
import { ApplicationFailure, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import {
  decisionUpdate,
  progressQuery,
  searchAttributes,
  type CardFacts,
  type CardLinkProgress,
  type CardLinkStep,
  type LinkOutcome,
} from '../../server/temporal/contract.ts';

/** Values of the `LinkStatus` search attribute: a LinkOutcome status, or where the workflow is before one. */
export type LinkStatusValue = 'in_progress' | 'failed' | LinkOutcome['status'];

/**
 * What a card-link run shows of itself: its progress (the progress query), its decision (the decision update) and
 * its search attributes. Under ONE_SEARCH_ATTRIBUTE_UPSERT_PATCH (`oneUpsert`) changed search attributes are kept
 * until `flush()`, which the run calls before it waits beyond its workflow task or ends.
 */
export class CardLinkRecord {
  readonly progress: CardLinkProgress;
  /** Steps checkCardEligibility ran for the link (CHECK_AND_LINK_PATCH) are stamped with the decision's time. */
  stepsAt: string | undefined;
  private decision: LinkOutcome | undefined;
  private failure: Error | undefined;
  private linkStatus: LinkStatusValue = 'in_progress';
  private readonly unwritten = new Map<string, SearchAttributeUpdatePair>();

  constructor(
    workflowId: string,
    customerId: string,
    card: CardFacts,
    private readonly oneUpsert: boolean,
  ) {
    this.progress = {
      workflowId,
      customerId,
      partnerId: null,
      card: { network: card.network, last4: card.last4 },
      currentStep: 'validate_card',
      completed: [],
      outcome: null,
    };
    setHandler(progressQuery, () => this.progress);
    setHandler(decisionUpdate, async () => {
      await condition(() => this.decision !== undefined || this.failure !== undefined);
      if (this.decision) return this.decision;
      throw this.failure ?? ApplicationFailure.nonRetryable('card link ended without a decision');
    });
  }

  /** CustomerId and LinkStatus, unless the run was started with them (linkCard() starts it so). */
  readonly start = (customerId: string, startedWith: TypedSearchAttributes): void => {
    const given = this.oneUpsert && startedWith.get(searchAttributes.customerId) === customerId && startedWith.get(searchAttributes.linkStatus) === this.linkStatus;
    if (given) return;
    upsertSearchAttributes([
      { key: searchAttributes.customerId, value: customerId },
      { key: searchAttributes.linkStatus, value: this.linkStatus },
    ]);
  };

  readonly upsert = (pairs: SearchAttributeUpdatePair[]): void => {
    if (!this.oneUpsert) return upsertSearchAttributes(pairs);
    for (const pair of pairs) this.unwritten.set(pair.key.name, pair);
  };

  /** Before the workflow waits beyond this workflow task (a durable retry, a reconciliation) or ends. */
  readonly flush = (): void => {
    if (this.unwritten.size === 0) return;
    upsertSearchAttributes([...this.unwritten.values()]);
    this.unwritten.clear();
  };

  readonly setStatus = (status: LinkStatusValue): void => {
    if (status === this.linkStatus) return;
    this.linkStatus = status;
    this.upsert([{ key: searchAttributes.linkStatus, value: status }]);
  };

  readonly begin = (step: CardLinkStep): void => {
    this.progress.currentStep = step;
  };

  readonly complete = (step: CardLinkStep, outcome: string, partnerResponse?: unknown): void => {
    this.progress.completed.push({ step, at: this.stepsAt ?? new Date().toISOString(), outcome, ...(partnerResponse === undefined ? {} : { partnerResponse }) });
  };

  /** The decision is known but the workflow goes on (a multi-match, an early answer): the update can answer now. */
  readonly decide = (outcome: LinkOutcome): void => {
    this.decision = outcome;
    this.progress.outcome = outcome;
    this.setStatus(outcome.status);
    this.flush();
  };

  /** The final outcome; a decision update arriving from now on gets it rather than an earlier one. */
  readonly finish = (outcome: LinkOutcome): LinkOutcome => {
    this.decide(outcome);
    this.begin('complete');
    this.complete('complete', outcome.status);
    this.progress.currentStep = 'done';
    return outcome;
  };

  /** The run is cancelled: a decision update still waiting gets the cancellation. */
  readonly cancelled = (err: Error): void => {
    this.failure = err;
    this.flush();
  };

  /** The step the run failed at, for its failure. */
  get failingStep(): CardLinkStep {
    return this.progress.currentStep === 'done' ? 'complete' : this.progress.currentStep;
  }

  /** The run failed at `step`: recorded, and a decision update still waiting gets `failed`. */
  readonly failed = (failed: ApplicationFailure, step: CardLinkStep): void => {
    this.failure = failed;
    this.complete(step, `failed: ${failed.type}: ${failed.message}`);
    this.progress.currentStep = 'done';
    this.setStatus('failed');
    this.flush();
  };
}
