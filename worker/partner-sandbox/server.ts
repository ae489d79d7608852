/**
 * Partner sandbox: stands in for the partners' card-link APIs in development and tests. Every partner in the
 * registry is served under `/partners/<partnerId>`, and every answer is a function of partner, BIN, card and
 * customer, so a test knows the outcome from the data it sends.
 *
 * POST /partners/:partnerId/eligibility  {customerId, fingerprint, bin, last4, country, network}
 *   rules, first match wins:
 *   - unknown partner                              → 404
 *   - malformed body                               → 400 with the issues
 *   - card outside the partner's BIN ranges        → not_eligible `card_not_issued_by_partner`
 *   - customerId contains "decline"                → not_eligible `customer_not_eligible`
 *   - last4 0002                                   → not_eligible `account_not_in_good_standing`
 *   - last4 0003                                   → multi_match, later matched
 *   - last4 0004                                   → multi_match, later rejected `no_matching_account`
 *   - last4 0005                                   → multi_match, never answered (the deadline compensates)
 *   - anything else                                → eligible
 *   References are stable for (partner, customer, fingerprint): asking twice, as a shadow version does, gives
 *   the same answer and starts nothing new. A multi-match reference carries the card's last4, so the sandbox
 *   can still answer for it after a restart.
 *
 * GET /partners/:partnerId/reconciliations/:reference → {state: pending|matched|rejected, reason?}
 *   A multi-match resolves `reconcileAfterMs` after it was first issued. For partners whose reconciliation
 *   includes webhooks, the sandbox then POSTs {partnerId, reference, matched, reason?} to
 *   `${consoleUrl}/api/partner-webhooks/<partnerId>` signed with that partner's secret (x-dashops-signature), retrying with
 *   backoff (honouring Retry-After) on network errors and any status but 400/401/403/413/422.
 *
 * POST /partners/:partnerId/unlinks  {customerId, reference} → {state: unlinked}, or {state: already_unlinked}
 *   when that reference was unlinked before (since the last reset): the partner ends the enrollment.
 *
 * Control API (never subject to faults):
 *   POST /_control/faults {partnerId?, latencyMs?, failNext?, timeoutNext?}  partner-scoped or global; each
 *        field given replaces that setting; failNext answers the next n calls 503, timeoutNext never answers them
 *   POST /_control/reconciliations/:reference {matched, reason?}  resolves one now (409 once resolved), and
 *        fires its webhook where the partner uses webhooks
 *   POST /_control/reset   forgets faults, reconciliations, webhook deliveries; drops hung requests
 *   GET  /_control/health  GET /_control/webhooks  GET /_control/requests
 */
import { createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  eligibilityRequestBody,
  unlinkRequestBody,
  type EligibilityAnswer,
  type EligibilityRequestBody,
  type ReconciliationState,
  type ReconciliationWebhookBody,
} from '../../server/card-link/partners/partner-api.ts';
import type { PartnerIntegration } from '../../server/card-link/partners/partner.ts';
import { partnerRegistry, type PartnerRegistry } from '../../server/card-link/partners/registry.ts';
import { signWebhook } from '../../server/card-link/webhook-signature.ts';

export interface SandboxLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface PartnerSandboxOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** The console that receives partner webhooks. */
  consoleUrl: string;
  /** Each partner signs its webhooks with its secret (the console's PARTNER_WEBHOOK_SECRETS); without one it sends them unsigned. */
  webhookSecrets?: ReadonlyMap<string, string>;
  /** How long a multi-match stays pending. Default 2000 ms. */
  reconcileAfterMs?: number;
  /** Partners to serve; default the built-in registry. */
  registry?: PartnerRegistry;
  webhookRetry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number; timeoutMs?: number };
  log?: SandboxLog;
}

export interface PartnerSandbox {
  url: string;
  port: number;
  stop(): Promise<void>;
}

interface Answer {
  matched: boolean;
  reason?: string;
}

/** Outcome of a multi-match by last4; null never resolves. */
const MULTI_MATCH_OUTCOMES: Readonly<Record<string, Answer | null>> = {
  '0003': { matched: true },
  '0004': { matched: false, reason: 'no_matching_account' },
  '0005': null,
};

interface Reconciliation {
  reference: string;
  partnerId: string;
  planned: Answer | null;
  answer: Answer | null;
  timer?: NodeJS.Timeout;
}

interface Faults {
  latencyMs: number;
  failNext: number;
  timeoutNext: number;
}

interface WebhookDelivery extends ReconciliationWebhookBody {
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError?: string;
}

interface RequestRecord {
  at: string;
  method: string;
  path: string;
  partnerId: string;
  status: number | 'hung';
}

const faultsSchema = z.object({
  partnerId: z.string().min(1).optional(),
  latencyMs: z.number().int().min(0).optional(),
  failNext: z.number().int().min(0).optional(),
  timeoutNext: z.number().int().min(0).optional(),
});
const resolveSchema = z.object({ matched: z.boolean(), reason: z.string().min(1).optional() });

const GLOBAL = '*';
const FINAL_WEBHOOK_STATUSES = new Set([400, 401, 403, 413, 422]);
const MAX_BODY_BYTES = 64 * 1024;
const MAX_REQUEST_LOG = 500;
const silent: SandboxLog = { info: () => undefined, warn: () => undefined };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: string } & Record<string, unknown>,
  ) {
    super(body.error);
  }
}

/** Everything the sandbox remembers, from start (or the last reset) until it stops. */
interface SandboxState {
  registry: PartnerRegistry;
  reconcileAfterMs: number;
  consoleUrl: string;
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number; timeoutMs: number };
  log: SandboxLog;
  webhookSecrets: ReadonlyMap<string, string>;
  reconciliations: Map<string, Reconciliation>;
  faults: Map<string, Faults>;
  deliveries: WebhookDelivery[];
  /** `<partnerId>:<reference>` of every enrollment unlinked since the last reset. */
  unlinked: Set<string>;
  requests: RequestRecord[];
  hung: Set<ServerResponse>;
  /** Aborted on reset and stop: cancels webhook retries that belong to the state being forgotten. */
  lifecycle: AbortController;
}

export async function startPartnerSandbox(options: PartnerSandboxOptions): Promise<PartnerSandbox> {
  const state = initialState(options);
  const server = http.createServer((req, res) => handleRequest(state, req, res));
  server.keepAliveTimeout = 30_000;
  await listen(server, options.port, options.host ?? '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === undefined || options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  state.log.info({ url, partners: state.registry.partnerIds, reconcileAfterMs: state.reconcileAfterMs, consoleUrl: state.consoleUrl }, 'partner sandbox listening');

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    stop: () => {
      stopped ??= new Promise<void>((resolveStop) => {
        reset(state);
        server.close(() => resolveStop());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function initialState(options: PartnerSandboxOptions): SandboxState {
  return {
    registry: options.registry ?? partnerRegistry,
    reconcileAfterMs: options.reconcileAfterMs ?? 2000,
    consoleUrl: options.consoleUrl.replace(/\/+$/, ''),
    retry: { attempts: 8, baseDelayMs: 500, maxDelayMs: 10_000, timeoutMs: 30_000, ...options.webhookRetry },
    log: options.log ?? silent,
    webhookSecrets: options.webhookSecrets ?? new Map<string, string>(),
    reconciliations: new Map(),
    faults: new Map(),
    deliveries: [],
    unlinked: new Set(),
    requests: [],
    hung: new Set(),
    lifecycle: new AbortController(),
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen({ port, host }, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
}

// ─── Routing ──────────────────────────────────────────────────────────────────────────────────────────

/** Routes one request, answers errors, and logs partner calls (not control calls) with their status. */
function handleRequest(state: SandboxState, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const segments = url.pathname.split('/').filter(Boolean).map(safeDecode);
  const [root, first, ...rest] = segments;
  let partnerId: string | undefined;
  const handled = (async () => {
    if (root === 'partners' && first !== undefined) {
      partnerId = first;
      return partnerRoute(state, req, res, first, rest);
    }
    if (root === '_control' && first !== undefined) {
      await controlRoute(state, req, res, [first, ...rest]);
      return undefined;
    }
    throw new HttpError(404, { error: `no route ${req.method} ${url.pathname}` });
  })();
  handled
    .catch((err: unknown) => {
      if (err instanceof HttpError) {
        send(res, err.status, err.body);
        return err.status;
      }
      state.log.warn({ err, method: req.method, path: url.pathname }, 'sandbox request failed');
      send(res, 500, { error: 'sandbox error' });
      return 500;
    })
    .then((status) => {
      if (partnerId !== undefined && status !== undefined) logRequest(state, { at: new Date().toISOString(), method: req.method ?? '', path: url.pathname, partnerId, status });
    })
    .catch(() => undefined);
}

function logRequest(state: SandboxState, record: RequestRecord): void {
  state.requests.push(record);
  if (state.requests.length > MAX_REQUEST_LOG) state.requests.shift();
}

/** `/partners/:partnerId/…`: finds the endpoint, then applies the injected faults before answering. */
async function partnerRoute(state: SandboxState, req: IncomingMessage, res: ServerResponse, partnerId: string, rest: string[]): Promise<number | 'hung'> {
  const partner = partnerOf(state, partnerId);
  let handler: (() => Promise<unknown>) | undefined;
  if (req.method === 'POST' && rest.length === 1 && rest[0] === 'eligibility') {
    handler = async () => decideEligibility(state, partner, parse(eligibilityRequestBody, await readJson(req)));
  } else if (req.method === 'GET' && rest.length === 2 && rest[0] === 'reconciliations') {
    handler = async () => reconciliationState(lookup(state, rest[1]!, partnerId));
  } else if (req.method === 'POST' && rest.length === 1 && rest[0] === 'unlinks') {
    handler = async () => unlink(state, partnerId, parse(unlinkRequestBody, await readJson(req)).reference);
  }
  if (!handler) throw new HttpError(404, { error: `no route ${req.method} /partners/${partnerId}/${rest.join('/')}` });
  const fault = await injectFaults(state, partnerId, res);
  if (fault) return fault;
  send(res, 200, await handler());
  return 200;
}

/** `/_control/…`: the test's handle on the sandbox, never subject to faults. */
async function controlRoute(state: SandboxState, req: IncomingMessage, res: ServerResponse, rest: string[]): Promise<void> {
  const route = `${req.method} ${rest[0] ?? ''}${rest.length > 2 ? '/…' : rest.length === 2 ? '/:reference' : ''}`;
  switch (route) {
    case 'GET health':
      return send(res, 200, { ok: true, partners: state.registry.partnerIds, reconcileAfterMs: state.reconcileAfterMs, consoleUrl: state.consoleUrl });
    case 'POST faults':
      return send(res, 200, { faults: setFaults(state, parse(faultsSchema, await readJson(req))) });
    case 'POST reconciliations/:reference':
      return send(res, 200, resolveByHand(state, rest[1]!, parse(resolveSchema, await readJson(req))));
    case 'POST reset':
      reset(state);
      return send(res, 200, { ok: true });
    case 'GET webhooks':
      return send(res, 200, { deliveries: state.deliveries });
    case 'GET requests':
      return send(res, 200, { requests: state.requests });
    default:
      throw new HttpError(404, { error: `no route ${req.method} /_control/${rest.join('/')}` });
  }
}

// ─── Partner endpoints ────────────────────────────────────────────────────────────────────────────────

function partnerOf(state: SandboxState, partnerId: string): PartnerIntegration {
  const partner = state.registry.get(partnerId)?.live;
  if (!partner) throw new HttpError(404, { error: `unknown partner ${partnerId}` });
  return partner;
}

/** The eligibility rules in the header, first match wins. */
function decideEligibility(state: SandboxState, partner: PartnerIntegration, body: EligibilityRequestBody): EligibilityAnswer {
  const key = digest(`${partner.partnerId}:${body.customerId}:${body.fingerprint}`);
  // A bank knows its own BIN ranges, which the live integration's `matches` encodes. The bank never sees our
  // payment-method id or the expiry; the placeholders stand for "not expired".
  const issued = partner.matches({ ...body, paymentMethodId: body.fingerprint, expMonth: 12, expYear: 9999 });
  if (!issued) return { decision: 'not_eligible', reason: 'card_not_issued_by_partner' };
  if (body.customerId.toLowerCase().includes('decline')) return { decision: 'not_eligible', reason: 'customer_not_eligible' };
  if (body.last4 === '0002') return { decision: 'not_eligible', reason: 'account_not_in_good_standing' };
  if (body.last4 in MULTI_MATCH_OUTCOMES) {
    const reference = `mm-${partner.partnerId}-${key}-${body.last4}`;
    track(state, reference, partner.partnerId);
    return { decision: 'multi_match', reference, candidates: 2 + (parseInt(key.slice(0, 4), 16) % 3) };
  }
  return { decision: 'eligible', reference: `ref-${partner.partnerId}-${key}` };
}

function unlink(state: SandboxState, partnerId: string, reference: string): { state: 'unlinked' | 'already_unlinked' } {
  const key = `${partnerId}:${reference}`;
  if (state.unlinked.has(key)) return { state: 'already_unlinked' };
  state.unlinked.add(key);
  return { state: 'unlinked' };
}

// ─── Reconciliations ──────────────────────────────────────────────────────────────────────────────────

/** Registers a multi-match the first time it is seen, and schedules its answer. */
function track(state: SandboxState, reference: string, partnerId: string): Reconciliation {
  const existing = state.reconciliations.get(reference);
  if (existing) return existing;
  const planned = MULTI_MATCH_OUTCOMES[reference.slice(-4)] ?? null;
  const entry: Reconciliation = { reference, partnerId, planned, answer: null };
  if (planned) {
    entry.timer = setTimeout(() => resolveReconciliation(state, entry, planned), state.reconcileAfterMs);
    entry.timer.unref();
  }
  state.reconciliations.set(reference, entry);
  return entry;
}

/** A reference this sandbox issued, even before a restart: `mm-<partnerId>-<key>-<last4>`. */
function lookup(state: SandboxState, reference: string, partnerId?: string): Reconciliation {
  const known = state.reconciliations.get(reference);
  if (known && (partnerId === undefined || known.partnerId === partnerId)) return known;
  const parsed = /^mm-(.+)-[0-9a-f]{12}-(\d{4})$/.exec(reference);
  const issuer = parsed?.[1];
  if (!known && issuer && state.registry.get(issuer) && (partnerId === undefined || issuer === partnerId) && parsed[2]! in MULTI_MATCH_OUTCOMES) {
    return track(state, reference, issuer);
  }
  throw new HttpError(404, { error: `unknown reconciliation ${reference}` });
}

/** Answers a multi-match once; says whether a webhook was queued for it. */
function resolveReconciliation(state: SandboxState, entry: Reconciliation, answer: Answer): boolean {
  if (entry.answer) return false;
  clearTimeout(entry.timer);
  entry.answer = answer;
  state.log.info({ partnerId: entry.partnerId, reference: entry.reference, ...answer }, 'multi-match resolved');
  if (state.registry.get(entry.partnerId)?.live.reconciliation.via === 'polling') return false;
  queueWebhook(state, entry, answer);
  return true;
}

/** `POST /_control/reconciliations/:reference`: resolves one now; 409 once resolved. */
function resolveByHand(state: SandboxState, reference: string, answer: Answer) {
  const entry = lookup(state, reference);
  if (entry.answer) throw new HttpError(409, { error: `${entry.reference} is already resolved`, ...reconciliationState(entry) });
  const webhook = resolveReconciliation(state, entry, answer);
  return { reference: entry.reference, partnerId: entry.partnerId, ...reconciliationState(entry), webhook };
}

// ─── Webhook delivery ─────────────────────────────────────────────────────────────────────────────────

function queueWebhook(state: SandboxState, entry: Reconciliation, answer: Answer): void {
  const delivery: WebhookDelivery = {
    url: `${state.consoleUrl}/api/partner-webhooks/${encodeURIComponent(entry.partnerId)}`,
    partnerId: entry.partnerId,
    reference: entry.reference,
    matched: answer.matched,
    ...(answer.reason === undefined ? {} : { reason: answer.reason }),
    status: 'pending',
    attempts: 0,
  };
  state.deliveries.push(delivery);
  void deliverWebhook(state, delivery, state.lifecycle.signal);
}

/** POSTs until delivered, a final status, the attempts run out, or the sandbox resets; backoff honours Retry-After. */
async function deliverWebhook(state: SandboxState, delivery: WebhookDelivery, signal: AbortSignal): Promise<void> {
  const { retry, log } = state;
  const { url, status: _status, attempts: _attempts, lastError: _lastError, ...body } = delivery;
  while (delivery.attempts < retry.attempts && !signal.aborted) {
    delivery.attempts += 1;
    let retryAfterMs = 0;
    try {
      const json = JSON.stringify(body);
      const secret = state.webhookSecrets.get(body.partnerId);
      // Signed per attempt: a retry after minutes must still fall inside the console's replay window.
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': `${body.reference}:${body.matched}`,
          ...(secret ? signWebhook(secret, json) : {}),
        },
        body: json,
        signal: AbortSignal.any([signal, AbortSignal.timeout(retry.timeoutMs)]),
      });
      await res.body?.cancel();
      retryAfterMs = Number(res.headers.get('retry-after')) * 1000 || 0;
      if (res.ok) {
        delivery.status = 'delivered';
        log.info({ url, reference: body.reference, attempts: delivery.attempts }, 'webhook delivered');
        return;
      }
      delivery.lastError = `HTTP ${res.status}`;
      // A 404 or 503 can be the webhook overtaking the link it answers; a bad body or secret stays bad.
      if (FINAL_WEBHOOK_STATUSES.has(res.status)) break;
    } catch (err) {
      delivery.lastError = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
    }
    if (delivery.attempts < retry.attempts) {
      const backoffMs = Math.min(retry.baseDelayMs * 2 ** (delivery.attempts - 1), retry.maxDelayMs);
      await sleep(Math.max(backoffMs, Math.min(retryAfterMs, retry.maxDelayMs)), signal);
    }
  }
  if (signal.aborted) return;
  delivery.status = 'failed';
  log.warn({ url, reference: body.reference, attempts: delivery.attempts, error: delivery.lastError }, 'webhook not delivered');
}

// ─── Fault injection ──────────────────────────────────────────────────────────────────────────────────

/** `POST /_control/faults`: each field given replaces that setting, for one partner or all (`*`). */
function setFaults(state: SandboxState, { partnerId, ...settings }: z.output<typeof faultsSchema>): Record<string, Faults> {
  if (partnerId !== undefined) partnerOf(state, partnerId);
  const scope = partnerId ?? GLOBAL;
  state.faults.set(scope, { latencyMs: 0, failNext: 0, timeoutNext: 0, ...state.faults.get(scope), ...settings });
  return Object.fromEntries(state.faults);
}

/** Applies injected latency, then a pending hang or 503; says which, if the request is dealt with. */
async function injectFaults(state: SandboxState, partnerId: string, res: ServerResponse): Promise<'hung' | 503 | undefined> {
  const own = state.faults.get(partnerId);
  const global = state.faults.get(GLOBAL);
  const latencyMs = own?.latencyMs || global?.latencyMs || 0;
  if (latencyMs > 0) await sleep(latencyMs, state.lifecycle.signal);
  const take = (field: 'failNext' | 'timeoutNext') => {
    const scope = own && own[field] > 0 ? own : global && global[field] > 0 ? global : undefined;
    if (scope) scope[field] -= 1;
    return scope !== undefined;
  };
  if (take('timeoutNext')) {
    state.hung.add(res);
    res.on('close', () => state.hung.delete(res));
    return 'hung';
  }
  if (take('failNext')) {
    send(res, 503, { error: 'injected failure' });
    return 503;
  }
  return undefined;
}

/** Forgets faults, reconciliations, unlinks, webhook deliveries and the request log; drops hung requests. */
function reset(state: SandboxState): void {
  state.lifecycle.abort();
  state.lifecycle = new AbortController();
  for (const entry of state.reconciliations.values()) clearTimeout(entry.timer);
  state.reconciliations.clear();
  state.unlinked.clear();
  state.faults.clear();
  state.deliveries.length = 0;
  state.requests.length = 0;
  for (const res of state.hung) res.destroy();
  state.hung.clear();
}

// ─── Helpers ──────────────────────────────────────────────────────────────────────────────────────────

function reconciliationState(entry: Reconciliation): ReconciliationState {
  if (!entry.answer) return { state: 'pending' };
  if (entry.answer.matched) return { state: 'matched' };
  return { state: 'rejected', reason: entry.answer.reason ?? 'rejected_by_partner' };
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, { error: 'invalid request body', issues: parsed.error.issues });
  return parsed.data;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, { error: 'request body too large' });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, { error: 'request body is not JSON' });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    if (signal.aborted) return resolveSleep();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveSleep();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
