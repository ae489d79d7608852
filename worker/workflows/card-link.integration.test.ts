import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cardLinkWorkflowId,
  decisionUpdate,
  progressQuery,
  reconciliationWorkflowId,
  searchAttributes,
  type CardFacts,
  type CardLinkInput,
  type LinkOutcome,
} from '../../server/temporal/contract.ts';
import { CARD_LINK_ID_REUSE_POLICY, startRaced } from '../../server/card-link/link-card.ts';
import {
  ReconciliationNotReadyError,
  receivePartnerWebhook,
  reconciliationWebhookBody,
  UnknownPartnerReferenceError,
} from '../../server/card-link/partner-webhook.ts';
import { afterpay } from '../../server/card-link/partners/afterpay.ts';
import { PartnerRejectedError } from '../../server/card-link/partners/errors.ts';
import { chase } from '../../server/card-link/partners/chase.ts';
import { rbcV1 } from '../../server/card-link/partners/rbc.ts';
import { taskQueueFor } from '../testing/temporal-test-env.ts';
import { createPartnerRegistry, partnerRegistry } from '../../server/card-link/partners/registry.ts';
import { db } from '../../server/db/client.ts';
import { eventually } from '../../server/testing/eventually.ts';
import type { PartnerSandbox } from '../partner-sandbox/server.ts';
import { closeServer, listenOnFreePort, startSandboxOnFreePort } from '../partner-sandbox/testing.ts';
import { createCardLinkActivities, partnerHttpFor } from '../activities/card-link.ts';
import { cardLinkWorkflow } from './index.ts';

/**
 * The card-link workflow on the Temporal dev server, with real activities, Postgres and the partner sandbox
 * over HTTP. Partner webhooks reach a stand-in for the console's route that calls the console's own handler.
 */

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const workflowsPath = fileURLToPath(new URL('./index.ts', import.meta.url));

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run integration tests through \`npm test\`, which starts the services.`);
  return value;
}

const PARTNER_CARDS = {
  chase: { bin: '414721', country: 'US', network: 'visa' },
  rbc: { bin: '450061', country: 'CA', network: 'visa' },
  afterpay: { bin: '535317', country: 'US', network: 'mastercard' },
} as const;
type PartnerName = keyof typeof PARTNER_CARDS;

/** RBC as registered, except that it polls every second: its real six hours do not fit a dev-server test. */
const registry = createPartnerRegistry([
  chase,
  { live: { ...rbcV1, reconciliation: { ...rbcV1.reconciliation, pollEveryMs: 1000 } }, versions: [] },
  afterpay,
]);

interface NewCard {
  partner?: PartnerName;
  last4?: string;
  bin?: string;
  expYear?: number;
  /** Another card of an existing customer. */
  customerId?: string;
}

/** A customer (unless given) and one stored card: the rows the workflow's foreign keys need. */
async function customerWithCard({ partner = 'chase', last4 = '4242', bin, expYear = 2099, customerId }: NewCard = {}): Promise<CardLinkInput> {
  const { country, network, bin: partnerBin } = PARTNER_CARDS[partner];
  const id = customerId ?? `it-cl-${randomUUID().slice(0, 12)}`;
  if (!customerId) await db().customer.create({ data: { customerId: id, name: 'Card Link Test', email: `${id}@example.com`, country } });
  const paymentMethodId = `pm_${randomUUID().slice(0, 12)}`;
  const card: CardFacts = { paymentMethodId, fingerprint: `fp_${paymentMethodId}`, bin: bin ?? partnerBin, last4, country, network, expMonth: 12, expYear };
  await db().paymentMethod.create({ data: { ...card, customerId: id } });
  return { customerId: id, card, requestedBy: 'integration-test' };
}

async function rowsOf(customerId: string) {
  const [links, subscriptions] = await Promise.all([
    db().membershipLink.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } }),
    db().dashPassSubscription.findMany({ where: { customerId }, orderBy: { createdAt: 'asc' } }),
  ]);
  return { links, subscriptions };
}

const steps = (progress: { completed: { step: string }[] }) => progress.completed.map(({ step }) => step);

describe('card-link workflow on the Temporal dev server', () => {
  let bundle: WorkflowBundleWithSourceMap;
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let client: Client;
  let sandbox: PartnerSandbox;
  let consoleStub: http.Server;

  beforeAll(async () => {
    const address = required('TEMPORAL_ADDRESS');
    required('DATABASE_URL');
    [bundle, nativeConnection, connection] = await Promise.all([
      bundleWorkflowCode({ workflowsPath, logger: undefined }),
      NativeConnection.connect({ address }),
      Connection.connect({ address }),
    ]);
    client = new Client({ connection, namespace: 'default' });

    // The console's webhook route, minus HTTP concerns: its handler finds the link and signals the reconciliation.
    consoleStub = http.createServer((req, res) => {
      const partnerId = decodeURIComponent(req.url?.split('/').at(-1) ?? '');
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = reconciliationWebhookBody.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        receivePartnerWebhook({ db: db(), temporal: client }, partnerId, body).then(
          (result) => res.writeHead(result.status === 'signalled' ? 202 : 200).end(JSON.stringify(result)),
          (err: unknown) => {
            const status = err instanceof UnknownPartnerReferenceError ? 404 : err instanceof ReconciliationNotReadyError ? 503 : 500;
            res.writeHead(status).end(JSON.stringify({ error: String(err) }));
          },
        );
      });
    });
    const consolePort = await listenOnFreePort(consoleStub);
    sandbox = await startSandboxOnFreePort({
      consoleUrl: `http://127.0.0.1:${consolePort}`,
      reconcileAfterMs: 500,
      webhookRetry: { baseDelayMs: 200, maxDelayMs: 1000, attempts: 30 },
    });
    await db().partner.createMany({
      data: partnerRegistry.partnerIds.map((partnerId) => ({ partnerId, name: partnerId, liveVersion: '1' })),
      skipDuplicates: true,
    });
  });
  afterAll(async () => {
    await sandbox?.stop();
    if (consoleStub) await closeServer(consoleStub);
    await connection?.close();
    await nativeConnection?.close();
  });

  const control = async (route: string, body: unknown) => {
    const res = await fetch(`${sandbox.url}/_control/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.ok).toBe(true);
  };

  async function createWorker(taskQueue: string, partners = registry): Promise<Worker> {
    return Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: createCardLinkActivities({ db: db(), partnerHttp: partnerHttpFor(sandbox.url), registry: partners }),
    });
  }

  async function withWorker<T>(title: string, body: (taskQueue: string) => Promise<T>, partners = registry): Promise<T> {
    const taskQueue = taskQueueFor(title);
    const worker = await createWorker(taskQueue, partners);
    return worker.runUntil(body(taskQueue));
  }

  /**
   * What the console's synchronous API does: Update-With-Start on the derived workflow ID, joining a running
   * link (USE_EXISTING) and, once a run has completed, returning its recorded result instead of a second run.
   */
  async function requestLink(taskQueue: string, input: CardLinkInput, attempt = 1): Promise<LinkOutcome> {
    const workflowId = cardLinkWorkflowId(input.customerId, input.card.fingerprint);
    try {
      return await client.workflow.executeUpdateWithStart(decisionUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation(cardLinkWorkflow, {
          workflowId,
          taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: CARD_LINK_ID_REUSE_POLICY,
          typedSearchAttributes: [{ key: searchAttributes.customerId, value: input.customerId }],
        }),
      });
    } catch (err) {
      // Temporal's "retry the whole operation" when this start raced another of the same id (as linkCard does).
      if (startRaced(err) && attempt < 3) return requestLink(taskQueue, input, attempt + 1);
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return client.workflow.getHandle<typeof cardLinkWorkflow>(workflowId).result();
    }
  }

  const handleOf = (input: CardLinkInput): WorkflowHandle<typeof cardLinkWorkflow> =>
    client.workflow.getHandle(cardLinkWorkflowId(input.customerId, input.card.fingerprint));

  describe.each(Object.keys(PARTNER_CARDS) as PartnerName[])('%s', (partnerId) => {
    it('links an eligible card: active link and subscription under the partner benefit rules, searchable status', async () => {
      const input = await customerWithCard({ partner: partnerId });
      const { outcome, progress, attributes } = await withWorker(`${partnerId} eligible`, async (taskQueue) => {
        const outcome = await requestLink(taskQueue, input);
        const handle = handleOf(input);
        await handle.result();
        return { outcome, progress: await handle.query(progressQuery), attributes: (await handle.describe()).typedSearchAttributes };
      });

      expect(outcome).toMatchObject({ status: 'linked', partnerId });
      const { links, subscriptions } = await rowsOf(input.customerId);
      expect(links).toHaveLength(1);
      expect(subscriptions).toHaveLength(1);
      const [link] = links;
      const [subscription] = subscriptions;
      // The link is created in the same workflow activation that saw the eligibility answer, at its time.
      const linkedAt = new Date(progress.completed.find(({ step }) => step === 'check_eligibility')!.at);
      const terms = registry.resolve(partnerId, '1').benefit(linkedAt);
      expect(link).toMatchObject({ status: 'active', partnerId, benefitStartsAt: terms.startsAt, benefitEndsAt: terms.endsAt, workflowId: progress.workflowId });
      // RBC's benefit starts on the first of next month: scheduled until then.
      const subscriptionStatus = terms.startsAt > linkedAt ? 'scheduled' : 'active';
      expect(subscription).toMatchObject({ status: subscriptionStatus, linkId: link!.linkId, activeCustomerId: input.customerId, startsAt: terms.startsAt, endsAt: terms.endsAt });
      expect(outcome).toEqual({ status: 'linked', linkId: link!.linkId, subscriptionId: subscription!.subscriptionId, partnerId, benefitEndsAt: terms.endsAt!.toISOString() });

      expect(steps(progress)).toEqual(['validate_card', 'select_partner', 'check_eligibility', 'create_link', 'complete']);
      expect(progress).toMatchObject({ currentStep: 'done', partnerId, card: { last4: '4242', network: PARTNER_CARDS[partnerId].network } });
      expect(progress.completed[2]).toMatchObject({ outcome: 'eligible', partnerResponse: { decision: 'eligible', version: '1' } });
      expect(JSON.stringify(progress)).not.toContain(input.card.bin);
      expect(attributes.get(searchAttributes.customerId)).toBe(input.customerId);
      expect(attributes.get(searchAttributes.partnerId)).toBe(partnerId);
      expect(attributes.get(searchAttributes.linkStatus)).toBe('linked');
    });

    it('finishes a declined card with the partner reason and writes nothing', async () => {
      const input = await customerWithCard({ partner: partnerId, last4: '0002' });
      const { outcome, progress } = await withWorker(`${partnerId} not eligible`, async (taskQueue) => {
        const outcome = await requestLink(taskQueue, input);
        return { outcome, progress: await handleOf(input).query(progressQuery) };
      });

      expect(outcome).toEqual({ status: 'not_eligible', partnerId, reason: 'account_not_in_good_standing' });
      expect(steps(progress)).toEqual(['validate_card', 'select_partner', 'check_eligibility', 'complete']);
      expect(await rowsOf(input.customerId)).toEqual({ links: [], subscriptions: [] });
    });

    it(`answers pending_reconciliation at once on a multi-match, then links once ${partnerId} matches (${partnerId === 'rbc' ? 'by polling' : 'by webhook'})`, async () => {
      const input = await customerWithCard({ partner: partnerId, last4: '0003' });
      const { decision, pending, result, progress } = await withWorker(`${partnerId} multi match`, async (taskQueue) => {
        const decision = await requestLink(taskQueue, input);
        const pending = await rowsOf(input.customerId);
        const result = await handleOf(input).result();
        return { decision, pending, result, progress: await handleOf(input).query(progressQuery) };
      });

      expect(decision).toMatchObject({ status: 'pending_reconciliation', partnerId });
      expect(decision.status === 'pending_reconciliation' && decision.matchReference).toMatch(/^mm-/);
      expect(pending.links).toMatchObject([{ status: 'pending_reconciliation' }]);
      expect(pending.subscriptions).toMatchObject([{ status: 'provisional', activeCustomerId: input.customerId }]);
      expect(result).toMatchObject({ status: 'linked', partnerId, linkId: pending.links[0]!.linkId, subscriptionId: pending.subscriptions[0]!.subscriptionId });
      expect(progress.completed.find(({ step }) => step === 'reconcile')).toMatchObject({
        partnerResponse: { matched: true, resolvedBy: partnerId === 'rbc' ? 'poll:rbc' : `partner:${partnerId}` },
      });
      const after = await rowsOf(input.customerId);
      expect(after.links).toMatchObject([{ status: 'active' }]);
      // RBC's benefit starts on the first of next month: confirmed before then, it is scheduled.
      const confirmedAt = Date.parse(progress.completed.find(({ step }) => step === 'reconcile')!.at);
      expect(after.subscriptions).toMatchObject([{ status: after.subscriptions[0]!.startsAt.getTime() > confirmedAt ? 'scheduled' : 'active' }]);
    });
  });

  it('compensates a multi-match the partner rejects: the provisional subscription and the link end with its reason', async () => {
    const input = await customerWithCard({ partner: 'chase', last4: '0004' });
    const result = await withWorker('chase rejected', async (taskQueue) => {
      await requestLink(taskQueue, input);
      return handleOf(input).result();
    });

    expect(result).toMatchObject({ status: 'reconciliation_failed', partnerId: 'chase', reason: 'no_matching_account' });
    const { links, subscriptions } = await rowsOf(input.customerId);
    expect(links).toMatchObject([{ status: 'ended', endedReason: 'no_matching_account' }]);
    expect(subscriptions).toMatchObject([{ status: 'ended', activeCustomerId: null, endedReason: 'no_matching_account' }]);
    expect((await handleOf(input).describe()).typedSearchAttributes.get(searchAttributes.linkStatus)).toBe('reconciliation_failed');
  });

  it('retries a partner that answers 5xx, with backoff, and then links', async () => {
    const input = await customerWithCard({ partner: 'afterpay' });
    await control('faults', { partnerId: 'afterpay', failNext: 2 });
    const outcome = await withWorker('partner 5xx', (taskQueue) => requestLink(taskQueue, input));

    expect(outcome).toMatchObject({ status: 'linked', partnerId: 'afterpay' });
    const { requests } = (await (await fetch(`${sandbox.url}/_control/requests`)).json()) as { requests: { path: string; status: number }[] };
    const eligibility = requests.filter(({ path: p }) => p === '/partners/afterpay/eligibility').map(({ status }) => status);
    expect(eligibility.slice(-3)).toEqual([503, 503, 200]);
    expect((await rowsOf(input.customerId)).links).toHaveLength(1);
  });

  it('fails an expired card with a non-retryable InvalidCardError, naming the step and reason', async () => {
    const input = await customerWithCard({ partner: 'chase', expYear: 2020 });
    const err = await withWorker('expired card', (taskQueue) => requestLink(taskQueue, input).then(() => undefined, (e: unknown) => e));

    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'InvalidCardError', nonRetryable: true, details: [{ step: 'validate_card', reason: 'card_expired' }] });
    expect((await handleOf(input).describe()).status.name).toBe('FAILED');
    expect(await rowsOf(input.customerId)).toEqual({ links: [], subscriptions: [] });
  });

  it('fails at the partner step when the partner refuses the request, showing the steps before it and the partner', async () => {
    const input = await customerWithCard({ partner: 'chase' });
    const refusing = createPartnerRegistry([
      {
        live: {
          ...chase.live,
          checkEligibility: () => Promise.reject(new PartnerRejectedError('chase', 'chase refused the eligibility request (400)', 400, { error: 'bad_request' })),
        },
        versions: [],
      },
    ]);
    const { err, progress, attributes } = await withWorker(
      'partner refuses',
      async (taskQueue) => {
        const err = await requestLink(taskQueue, input).then(() => undefined, (e: unknown) => e);
        return { err, progress: await handleOf(input).query(progressQuery), attributes: (await handleOf(input).describe()).typedSearchAttributes };
      },
      refusing,
    );

    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((err as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'PartnerRejectedError', nonRetryable: true, details: [{ step: 'check_eligibility' }] });
    expect(steps(progress)).toEqual(['validate_card', 'select_partner', 'check_eligibility']);
    expect(progress.completed.map(({ outcome }) => outcome)).toEqual(['valid', 'chase@1', expect.stringMatching(/^failed: PartnerRejectedError: /)]);
    expect(progress).toMatchObject({ currentStep: 'done', partnerId: 'chase' });
    expect(attributes.get(searchAttributes.partnerId)).toBe('chase');
    expect(attributes.get(searchAttributes.linkStatus)).toBe('failed');
    expect(await rowsOf(input.customerId)).toEqual({ links: [], subscriptions: [] });
  });

  it('does not give a customer a second live subscription: another card then answers customer_already_subscribed and writes nothing', async () => {
    const first = await customerWithCard({ partner: 'chase' });
    const second = await customerWithCard({ partner: 'afterpay', customerId: first.customerId });
    const { one, two, progress } = await withWorker('already subscribed', async (taskQueue) => ({
      one: await requestLink(taskQueue, first),
      two: await requestLink(taskQueue, second),
      progress: await handleOf(second).query(progressQuery),
    }));

    expect(one).toMatchObject({ status: 'linked', partnerId: 'chase' });
    expect(two).toEqual({ status: 'not_eligible', partnerId: 'afterpay', reason: 'customer_already_subscribed' });
    const { links, subscriptions } = await rowsOf(first.customerId);
    expect(links).toMatchObject([{ partnerId: 'chase', status: 'active' }]);
    expect(subscriptions).toMatchObject([{ status: 'active' }]);
    expect(progress.completed.find(({ step }) => step === 'create_link')?.outcome).toMatch(/^customer already subscribed/);
  });

  it('makes 50 concurrent identical requests into one link and one live subscription', async () => {
    const input = await customerWithCard({ partner: 'chase' });
    const outcomes = await withWorker('fifty concurrent', (taskQueue) => Promise.all(Array.from({ length: 50 }, () => requestLink(taskQueue, input))));

    const { links, subscriptions } = await rowsOf(input.customerId);
    expect(links).toHaveLength(1);
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]).toMatchObject({ status: 'active', activeCustomerId: input.customerId });
    const expected: LinkOutcome = {
      status: 'linked',
      linkId: links[0]!.linkId,
      subscriptionId: subscriptions[0]!.subscriptionId,
      partnerId: 'chase',
      benefitEndsAt: links[0]!.benefitEndsAt!.toISOString(),
    };
    expect(new Set(outcomes.map((outcome) => JSON.stringify(outcome)))).toEqual(new Set([JSON.stringify(expected)]));
  });

  const localActivityMarkers = async (input: CardLinkInput) =>
    ((await handleOf(input).fetchHistory()).events ?? []).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;

  it('links an eligible card in one local activity: eligibility and the link write together, each step still recorded', async () => {
    const input = await customerWithCard({ partner: 'afterpay' });
    const { outcome, progress } = await withWorker('one hop', async (taskQueue) => {
      const outcome = await requestLink(taskQueue, input);
      await handleOf(input).result();
      return { outcome, progress: await handleOf(input).query(progressQuery) };
    });

    expect(outcome).toMatchObject({ status: 'linked', partnerId: 'afterpay' });
    expect(steps(progress)).toEqual(['validate_card', 'select_partner', 'check_eligibility', 'create_link', 'complete']);
    expect(progress.completed[3]?.outcome).toMatch(/^created link /);
    expect(await localActivityMarkers(input)).toBe(1);
  });

  describe('early return (CardLinkInput.earlyReturn)', () => {
    it('answers linked before the write with the ids and benefit end the write then gives the link and subscription', async () => {
      const input = { ...(await customerWithCard({ partner: 'chase' })), earlyReturn: true };
      const { outcome, result, history } = await withWorker('early return', async (taskQueue) => {
        const outcome = await requestLink(taskQueue, input);
        const result = await handleOf(input).result();
        return { outcome, result, history: await handleOf(input).fetchHistory() };
      });

      const { links, subscriptions } = await rowsOf(input.customerId);
      expect(links).toMatchObject([{ status: 'active', partnerId: 'chase' }]);
      expect(subscriptions).toMatchObject([{ status: 'active', linkId: links[0]!.linkId }]);
      const expected = { status: 'linked', linkId: links[0]!.linkId, subscriptionId: subscriptions[0]!.subscriptionId, partnerId: 'chase', benefitEndsAt: links[0]!.benefitEndsAt!.toISOString() };
      expect(outcome).toEqual(expected);
      expect(result).toEqual(expected);
      // The update was answered in the workflow task that scheduled the write, before the write completed.
      const events = history.events ?? [];
      const scheduled = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'createLink');
      const written = events.find((event) => String(event.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(scheduled?.eventId ?? '-'));
      const answered = events.find((event) => event.workflowExecutionUpdateCompletedEventAttributes);
      expect(Number(answered?.eventId)).toBeLessThan(Number(written?.eventId));
    });

    it('withdraws an early linked when another card takes the customer\'s slot before the write: the run ends customer_already_subscribed, nothing of it written', async () => {
      const first = { ...(await customerWithCard({ partner: 'chase' })), earlyReturn: true };
      const second = await customerWithCard({ partner: 'afterpay', customerId: first.customerId });
      const taskQueue = taskQueueFor('early return withdrawn');
      // The real activities, with the early run's durable write held until the other card has linked.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const activities = createCardLinkActivities({ db: db(), partnerHttp: partnerHttpFor(sandbox.url), registry });
      const worker = await Worker.create({
        connection: nativeConnection,
        taskQueue,
        workflowBundle: bundle,
        activities: { ...activities, createLink: async (input: Parameters<typeof activities.createLink>[0]) => (input.workflowId === handleOf(first).workflowId ? held.then(() => activities.createLink(input)) : activities.createLink(input)) },
      });
      const { early, other, result, progress, attributes } = await worker.runUntil(async () => {
        const early = await requestLink(taskQueue, first);
        const other = await requestLink(taskQueue, second);
        release();
        const result = await handleOf(first).result();
        return { early, other, result, progress: await handleOf(first).query(progressQuery), attributes: (await handleOf(first).describe()).typedSearchAttributes };
      });

      expect(early).toMatchObject({ status: 'linked', partnerId: 'chase' });
      expect(other).toMatchObject({ status: 'linked', partnerId: 'afterpay' });
      expect(result).toEqual({ status: 'not_eligible', partnerId: 'chase', reason: 'customer_already_subscribed' });
      expect(progress.outcome).toEqual(result);
      expect(progress.completed.find(({ step }) => step === 'create_link')?.outcome).toMatch(/^customer already subscribed.*after answering linked/);
      expect(attributes.get(searchAttributes.linkStatus)).toBe('not_eligible');
      const { links, subscriptions } = await rowsOf(first.customerId);
      expect(links).toMatchObject([{ partnerId: 'afterpay' }]);
      expect(subscriptions).toMatchObject([{ status: 'active', linkId: links[0]!.linkId }]);
    });

    it('answers after the write when the card is already linked: the answer names the existing link', async () => {
      const input = await customerWithCard({ partner: 'chase' });
      const { first, again } = await withWorker('early return existing link', async (taskQueue) => {
        const first = await requestLink(taskQueue, input);
        // A later evaluation of the same card (a new workflow id) finds the link the first wrote.
        const later = { ...input, earlyReturn: true };
        const again = await client.workflow.executeUpdateWithStart(decisionUpdate, {
          startWorkflowOperation: new WithStartWorkflowOperation(cardLinkWorkflow, { workflowId: `${cardLinkWorkflowId(input.customerId, input.card.fingerprint)}.r1`, taskQueue, args: [later], workflowIdConflictPolicy: 'USE_EXISTING' }),
        });
        return { first, again };
      });

      expect(first).toMatchObject({ status: 'linked' });
      expect(again).toEqual(first);
      expect((await rowsOf(input.customerId)).links).toHaveLength(1);
    });
  });

  it('finds exactly one customer’s card-link and reconciliation workflows by CustomerId', async () => {
    const declined = await customerWithCard({ partner: 'chase', last4: '0002' });
    const multiMatch = await customerWithCard({ partner: 'chase', last4: '0005', customerId: declined.customerId });
    const other = await customerWithCard({ partner: 'chase' });
    const mine = [cardLinkWorkflowId(declined.customerId, declined.card.fingerprint), cardLinkWorkflowId(multiMatch.customerId, multiMatch.card.fingerprint)];

    const found = await withWorker('search by customer', async (taskQueue) => {
      await Promise.all([requestLink(taskQueue, declined), requestLink(taskQueue, other)]);
      // The multi-match never gets an answer: its child reconciliation stays running.
      await requestLink(taskQueue, multiMatch);
      const expected = [...mine, reconciliationWorkflowId(mine[1]!)].sort();
      const found = await eventually('visibility to list the customer’s three workflows', async () => {
        const ids: string[] = [];
        for await (const execution of client.workflow.list({ query: `CustomerId = '${declined.customerId}'` })) ids.push(execution.workflowId);
        ids.sort();
        return JSON.stringify(ids) === JSON.stringify(expected) ? ids : undefined;
      });
      // Parent gone (terminated): the child is asked to cancel, and compensates rather than leave a provisional benefit.
      await handleOf(multiMatch).terminate('test done');
      await eventually('the orphaned reconciliation to compensate', async () =>
        (await rowsOf(declined.customerId)).subscriptions.some((subscription) => subscription.endedReason === 'reconciliation_cancelled'),
      );
      return found;
    });

    expect(found).not.toContain(cardLinkWorkflowId(other.customerId, other.card.fingerprint));
    const declinedOnly: string[] = [];
    const query = `CustomerId = '${declined.customerId}' AND WorkflowType = 'cardLinkWorkflow' AND LinkStatus = 'not_eligible'`;
    for await (const execution of client.workflow.list({ query })) declinedOnly.push(execution.workflowId);
    expect(declinedOnly).toEqual([mine[0]]);
    expect((await rowsOf(declined.customerId)).links).toMatchObject([{ status: 'ended', endedReason: 'reconciliation_cancelled' }]);
  });

  it('runs the candidate version in shadow mode and records a deliberate mismatch, changing nothing live', async () => {
    const before = await db().partner.findUniqueOrThrow({ where: { partnerId: 'chase' } });
    await db().partner.update({ where: { partnerId: 'chase' }, data: { candidateVersion: '2' } });
    try {
      // chase@2 declines the 414728–414729 business cards; chase@1 (live) asks Chase, which says eligible.
      const business = await customerWithCard({ partner: 'chase', bin: '414728' });
      const consumer = await customerWithCard({ partner: 'chase' });
      const outcomes = await withWorker('shadow mode', async (taskQueue) => {
        const outcomes = [await requestLink(taskQueue, business), await requestLink(taskQueue, consumer)];
        await Promise.all([handleOf(business).result(), handleOf(consumer).result()]);
        return outcomes;
      });

      expect(outcomes).toMatchObject([{ status: 'linked' }, { status: 'linked' }]);
      const comparisons = await db().shadowComparison.findMany({ where: { customerId: { in: [business.customerId, consumer.customerId] } } });
      const of = (customerId: string) => comparisons.filter((row) => row.customerId === customerId);
      expect(of(business.customerId)).toMatchObject([
        {
          partnerId: 'chase',
          liveVersion: '1',
          candidateVersion: '2',
          matched: false,
          liveDecision: { kind: 'eligible' },
          candidateDecision: { kind: 'not_eligible', reason: 'business_card_not_in_offer' },
          workflowId: cardLinkWorkflowId(business.customerId, business.card.fingerprint),
        },
      ]);
      expect(of(consumer.customerId)).toMatchObject([{ matched: true, candidateDecision: { kind: 'eligible' } }]);
      // Dry mode: the candidate wrote no link or subscription of its own.
      expect((await rowsOf(business.customerId)).links).toHaveLength(1);
      expect((await rowsOf(business.customerId)).subscriptions).toHaveLength(1);
    } finally {
      await db().partner.update({ where: { partnerId: 'chase' }, data: { candidateVersion: before.candidateVersion } });
    }
  });

  it('resumes on a new worker after the worker running it is killed mid-step, without doing any step twice', async () => {
    const taskQueue = taskQueueFor('killed worker');
    const input = await customerWithCard({ partner: 'chase', last4: '0003' });
    const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'card-link-bundle-'));
    const codePath = path.join(bundleDir, 'workflows.js');
    fs.writeFileSync(codePath, bundle.code);
    let child: ChildProcess | undefined;
    try {
      // The eligibility call hangs long enough to kill the worker in the middle of it.
      await control('faults', { partnerId: 'chase', latencyMs: 60_000 });
      child = spawnWorker({ taskQueue, dir: bundleDir, codePath, sandboxUrl: sandbox.url });
      const output = collect(child);
      await eventually(`the child worker to start (output so far: ${output.text})`, async () => output.text.includes('ready'), { timeoutMs: 30_000 });

      const handle = await client.workflow.start(cardLinkWorkflow, {
        workflowId: cardLinkWorkflowId(input.customerId, input.card.fingerprint),
        taskQueue,
        args: [input],
        workflowTaskTimeout: '2 seconds',
      });
      await eventually('the eligibility step to be running', async () => output.text.includes('started checkCardEligibility'));
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await control('faults', { partnerId: 'chase', latencyMs: 0 });

      const worker = await createWorker(taskQueue);
      const { decision, result, progress } = await worker.runUntil(async () => {
        const decision = await handle.executeUpdate(decisionUpdate);
        const result = await handle.result();
        return { decision, result, progress: await handle.query(progressQuery) };
      });

      expect(decision).toMatchObject({ status: 'pending_reconciliation' });
      expect(result).toMatchObject({ status: 'linked', partnerId: 'chase' });
      expect(steps(progress)).toEqual(['validate_card', 'select_partner', 'check_eligibility', 'create_link', 'reconcile', 'complete']);
      const { links, subscriptions } = await rowsOf(input.customerId);
      expect(links).toMatchObject([{ status: 'active' }]);
      expect(subscriptions).toMatchObject([{ status: 'active' }]);
      // Each step completed once: one local-activity marker for validate + select + eligibility, one for create_link.
      const history = await handle.fetchHistory();
      const markers = (history.events ?? []).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
      expect(markers.length).toBe(2);
    } finally {
      await control('faults', { partnerId: 'chase', latencyMs: 0 });
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      fs.rmSync(bundleDir, { recursive: true, force: true });
    }
  });
});

/** A card-link worker in its own process, so it can be killed outright; it prints each activity it starts. */
function spawnWorker({ taskQueue, dir, codePath, sandboxUrl }: { taskQueue: string; dir: string; codePath: string; sandboxUrl: string }): ChildProcess {
  const url = (file: string) => JSON.stringify(pathToFileURL(file).href);
  const script = `
    const { NativeConnection, Worker } = await import(${url(createRequire(import.meta.url).resolve('@temporalio/worker'))});
    const { createCardLinkActivities, partnerHttpFor } = await import(${url(path.join(repoRoot, 'worker/activities/card-link.ts'))});
    const { db } = await import(${url(path.join(repoRoot, 'server/db/client.ts'))});
    const activities = createCardLinkActivities({ db: db(), partnerHttp: partnerHttpFor(${JSON.stringify(sandboxUrl)}) });
    const announced = Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, (...args) => {
      process.stdout.write('started ' + name + '\\n');
      return fn(...args);
    }]));
    const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
    const worker = await Worker.create({
      connection, taskQueue: ${JSON.stringify(taskQueue)}, workflowBundle: { codePath: ${JSON.stringify(codePath)} }, activities: announced,
    });
    process.stdout.write('ready\\n');
    await worker.run();
  `;
  // A file rather than --eval: the worker's threads inherit execArgv, and --input-type would break them.
  const scriptPath = path.join(dir, 'worker.mjs');
  fs.writeFileSync(scriptPath, script);
  return spawn(process.execPath, ['--import', 'tsx', scriptPath], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): { text: string } {
  const output = { text: '' };
  child.stdout?.on('data', (chunk: Buffer) => (output.text += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output.text += chunk.toString('utf8')));
  return output;
}
