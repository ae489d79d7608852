import fs from 'node:fs';
import path from 'node:path';
import type { APIRequestContext, APIResponse, BrowserContext } from '@playwright/test';
import { expect, ignoreHotReload, test } from './fixtures.ts';

/**
 * Bad input on every route: each API route (found by walking app/api, so a new route is fuzzed without being
 * listed) and the sign-in server action get malformed JSON, wrong types, NUL and other control characters,
 * invalid UTF-8, bodies over 1 MB, huge numbers, long strings, deep nesting, arrays for objects and bad query
 * parameters and path segments. Passes only with no 5xx at all, and every validation refusal (400, 413, 422)
 * a JSON error that names the field it refuses (or the body, for a whole-body fault).
 */

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Auth = 'session' | 'service-token' | 'none';

interface Sample {
  /** How the route is called: a console session with the Origin header, the card-link bearer token, or nothing. */
  auth?: Auth;
  /** Values for the dynamic segments (by segment name); default 'x'. */
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** A library answers this route in its own format (Auth.js: `"Bad request."`): only "4xx, never 5xx" is checked. */
  foreignFormat?: boolean;
  /** A health check: 503 is its answer when a service is down, whatever the input. */
  healthCheck?: boolean;
}

interface RouteMethod {
  pattern: string;
  segments: string[];
  method: Method;
  usesApiRoute: boolean;
}

const API_DIR = path.join(import.meta.dirname, '..', 'app', 'api');
const MISSING_DEAD_LETTER = '987654321012345';
const MISSING_WORKFLOW = 'card-link:cus_fuzz_nobody:fp_fuzz_0001';

/**
 * Valid-looking inputs per route, the starting point each mutation changes one thing in. They name nothing that
 * exists (an unknown store, customer, lot, dead letter or workflow), so a mutation the route accepts changes nothing.
 * A route missing here is still fuzzed, with a session, 'x' segments and an empty object body.
 */
const SAMPLES: Record<string, Partial<Record<Method, Sample>>> = {
  '/api/audit': { GET: { query: { actor: 'fuzz', action: 'inventory.adjust', from: '2026-01-01T00:00:00Z', limit: '10' } } },
  '/api/auth/[...nextauth]': {
    GET: { auth: 'none', params: { nextauth: 'providers' }, foreignFormat: true },
    POST: { auth: 'none', params: { nextauth: 'signout' }, foreignFormat: true },
  },
  '/api/card-links': {
    POST: {
      auth: 'service-token',
      body: {
        customerId: 'cus_fuzz_nobody',
        card: { fingerprint: 'fp_fuzz_0001', bin: '414721', last4: '4242', country: 'US', network: 'visa', expMonth: 12, expYear: 2030 },
      },
    },
  },
  '/api/card-links/[linkId]': { DELETE: { auth: 'service-token', params: { linkId: 'link_fuzz-nobody' }, body: { customerId: 'cus_fuzz_nobody', reason: 'fuzz' } } },
  '/api/dead-letters': { GET: { query: { topic: 'inventory_levels', subProcessor: 'availability-sync', errorText: 'boom', state: 'all', limit: '10', cursor: '5' } } },
  '/api/dead-letters/count': { GET: { query: { topic: 'inventory_levels', from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' } } },
  // Every filter field names nothing, so no mutation that drops one can select real entries to replay.
  '/api/dead-letters/bulk-ops': {
    POST: { body: { kind: 'replay', selection: { filter: { topic: 'fuzz-no-such-topic', subProcessor: 'fuzz-none', errorText: 'fuzz-no-such-error' } }, reason: 'fuzz', confirmedCount: 1 } },
  },
  '/api/dead-letters/bulk-ops/preview': { GET: { query: { topic: 'fuzz-no-such-topic', errorText: 'fuzz-no-such-error' } } },
  '/api/dead-letters/bulk-ops/[opId]': { GET: { params: { opId: 'fuzz-no-such-op' }, query: { limit: '5' } } },
  '/api/dead-letters/bulk-ops/[opId]/cancel': { POST: { params: { opId: 'fuzz-no-such-op' }, body: {} } },
  '/api/dead-letters/[id]': { GET: { params: { id: MISSING_DEAD_LETTER } } },
  '/api/dead-letters/[id]/discard': { POST: { params: { id: MISSING_DEAD_LETTER }, body: { reason: 'fuzz' } } },
  '/api/dead-letters/[id]/replay': { POST: { params: { id: MISSING_DEAD_LETTER }, body: {} } },
  '/api/enrollments': { GET: { query: { customerId: 'cus_fuzz_nobody' } } },
  '/api/enrollments/[workflowId]': { GET: { params: { workflowId: MISSING_WORKFLOW } } },
  '/api/enrollments/[workflowId]/resolve': { POST: { params: { workflowId: MISSING_WORKFLOW }, body: { matched: true, reason: 'fuzz' } } },
  '/api/enrollments/[workflowId]/recheck': { POST: { params: { workflowId: MISSING_WORKFLOW }, body: { reason: 'fuzz' } } },
  '/api/enrollments/[workflowId]/unlink': { POST: { params: { workflowId: MISSING_WORKFLOW }, body: { reason: 'fuzz unlink' } } },
  '/api/enrollments/shadow': { GET: { query: { window: '7d' } } },
  '/api/enrollments/shadow/mismatches': { GET: { query: { partnerId: 'chase', liveVersion: 'v1', candidateVersion: 'v2', limit: '5' } } },
  '/api/health': { GET: { auth: 'none', healthCheck: true } },
  '/api/inventory/adjustments': {
    GET: { query: { store: 'FUZZ-NO-STORE', sku: 'FUZZ-SKU' } },
    POST: { body: { storeId: 'FUZZ-NO-STORE', sku: 'FUZZ-SKU', delta: 1, reason: 'receive', note: 'fuzz' } },
  },
  '/api/inventory/adjustments/[id]/downstream': { GET: { params: { id: '987654321012345' } } },
  '/api/inventory/levels': { GET: { query: { store: 'FUZZ-NO-STORE', sku: 'FUZZ', q: 'milk', limit: '10' } } },
  '/api/inventory/lots': {
    GET: { query: { store: 'FUZZ-NO-STORE', sku: 'FUZZ-SKU' } },
    POST: { body: { storeId: 'FUZZ-NO-STORE', sku: 'FUZZ-SKU', quantity: 5, expiresOn: '2030-01-31', lotId: 'FUZZ-LOT', note: 'fuzz' } },
  },
  '/api/inventory/lots/[lotId]/write-off': { POST: { params: { lotId: 'FUZZ-NO-LOT' }, body: { reason: 'damage', note: 'fuzz' } } },
  '/api/inventory/redrive': {
    GET: { query: { store: 'FUZZ-NO-STORE', skuPrefix: 'FUZZ', lots: '1' } },
    POST: { body: { storeId: 'FUZZ-NO-STORE', skuPrefix: 'FUZZ', includeLots: true, reason: 'fuzz' } },
  },
  '/api/partners/[partnerId]/versions': { POST: { params: { partnerId: 'fuzz-nobody' }, body: { action: 'shadow', version: 'v9', reason: 'fuzz' } } },
  '/api/partner-webhooks/[partnerId]': { POST: { auth: 'none', params: { partnerId: 'chase' }, body: { partnerId: 'chase', reference: 'ref_fuzz', outcome: 'matched' } } },
};

/** Every route.ts under app/api with the HTTP methods it exports. */
function discoverRoutes(): RouteMethod[] {
  const found: RouteMethod[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === 'route.ts') {
        const source = fs.readFileSync(full, 'utf8');
        const methods = new Set<Method>();
        for (const match of source.matchAll(/export\s+(?:const|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE)\b/g)) methods.add(match[1] as Method);
        for (const match of source.matchAll(/export\s+const\s*\{([^}]*)\}/g)) {
          for (const name of match[1]!.split(',').map((part) => part.trim())) if (/^(GET|POST|PUT|PATCH|DELETE)$/.test(name)) methods.add(name as Method);
        }
        const relative = path.relative(API_DIR, path.dirname(full)).split(path.sep).filter(Boolean);
        const pattern = `/api/${relative.join('/')}`.replace(/\/$/, '');
        const segments = relative.filter((part) => part.startsWith('[')).map((part) => part.replace(/^\[(\.\.\.)?|\]$/g, ''));
        for (const method of methods) found.push({ pattern, segments, method, usesApiRoute: source.includes('apiRoute') });
      }
    }
  };
  walk(API_DIR);
  return found.sort((a, b) => `${a.pattern} ${a.method}`.localeCompare(`${b.pattern} ${b.method}`));
}

// ─── Mutations ──────────────────────────────────────────────────────────────────────────────────────────

/** A JSON literal that JSON.stringify cannot write (1e400 parses to Infinity), spliced into the body text. */
const raw = (literal: string) => `\u0001RAW:${literal}\u0001`;
const toJsonText = (value: unknown) => JSON.stringify(value).replace(/"\\u0001RAW:([^"\\]*)\\u0001"/g, '$1');

function nested(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const BAD_VALUES: [string, (current: unknown) => unknown][] = [
  ['NUL', (current) => `${typeof current === 'string' ? current : 'x'}\u0000`],
  ['control characters', (current) => `${typeof current === 'string' ? current : 'x'}\u0001\u001b\u007f`],
  ['long string', () => 'x'.repeat(20_000)],
  ['huge number', () => raw('1e400')],
  ['huge integer', () => raw('123456789012345678901234567890')],
  ['negative huge number', () => -1.7e308],
  ['fraction', () => 0.5],
  ['boolean', () => true],
  ['null', () => null],
  ['array', (current) => [current]],
  ['object', () => ({ nested: { value: 1 } })],
  ['deep nesting', () => nested(100)],
];

interface Leaf {
  path: string[];
  value: unknown;
}

/** Every field of the body (nested objects too, and the objects themselves), by path. */
function leaves(value: unknown, at: string[] = []): Leaf[] {
  const own = at.length ? [{ path: at, value }] : [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return own;
  return [...own, ...Object.entries(value).flatMap(([key, child]) => leaves(child, [...at, key]))];
}

function withValue(body: unknown, fieldPath: string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  let target = copy;
  for (const key of fieldPath.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = fieldPath.at(-1)!;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

interface Attempt {
  label: string;
  /** The field a validation refusal must name; null for a whole-body fault (any clear JSON error will do). */
  field: string | null;
  url: string;
  body?: Buffer;
  /** The one status this attempt must get, when it is known (401 without a session). */
  status?: number;
  /** Answered before or outside our code (see Sample.foreignFormat): any 4xx will do. */
  anyClientError?: boolean;
  healthCheck?: boolean;
}

function bodyAttempts(url: string, body: unknown): Attempt[] {
  const text = (label: string, field: string | null, data: string | Buffer): Attempt => ({ label, field, url, body: Buffer.isBuffer(data) ? data : Buffer.from(data, 'utf8') });
  const attempts: Attempt[] = [
    text('malformed JSON', null, '{"storeId": '),
    text('empty body', null, ''),
    text('invalid UTF-8', null, Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')])),
    text('array for the object', null, toJsonText([body])),
    text('null body', null, 'null'),
    text('string body', null, '"x"'),
    text('number body', null, '1e400'),
    text('body over 1 MB', null, toJsonText({ ...(body as object), pad: 'x'.repeat(1_100_000) })),
    text('deeply nested body', null, `${'['.repeat(50_000)}${']'.repeat(50_000)}`),
    text('NUL in a key', null, toJsonText({ ...(body as object), 'bad\u0000key': 1 })),
  ];
  for (const leaf of leaves(body)) {
    const field = leaf.path.join('.');
    attempts.push(text(`${field} missing`, field, toJsonText(withValue(body, leaf.path, undefined))));
    for (const [name, make] of BAD_VALUES) attempts.push(text(`${field}: ${name}`, field, toJsonText(withValue(body, leaf.path, make(leaf.value)))));
  }
  return attempts;
}

/** Query values are written into the URL as is, so invalid percent-encoding reaches the server undecoded. */
const BAD_QUERY_VALUES: [string, string][] = [
  ['NUL', 'x%00'],
  ['control characters', '%01%1B%7F'],
  ['invalid UTF-8', '%FF%FE%C3%28'],
  ['long string', 'x'.repeat(8_000)],
  ['huge number', '1e400'],
  ['huge integer', '123456789012345678901234567890'],
  ['negative', '-1'],
  ['fraction', '0.5'],
  ['empty', ''],
  ['JSON object', encodeURIComponent('{"a":1}')],
];

function queryAttempts(base: string, query: Record<string, string>): Attempt[] {
  const build = (entries: [string, string][]) => `${base}?${entries.map(([key, value]) => `${key}=${value}`).join('&')}`;
  const encoded = Object.entries(query).map(([key, value]): [string, string] => [key, encodeURIComponent(value)]);
  const attempts: Attempt[] = [
    { label: 'unknown and repeated parameters', field: null, url: build([...encoded, ...encoded, ['fuzz%00', 'x'], ['a[]', '1'], ['b', '%FF']]) },
  ];
  for (const key of Object.keys(query)) {
    const others = encoded.filter(([name]) => name !== key);
    for (const [name, value] of BAD_QUERY_VALUES) attempts.push({ label: `?${key}: ${name}`, field: key, url: build([...others, [key, value]]) });
    attempts.push({ label: `?${key}[]: array`, field: key, url: build([...others, [`${key}[]`, '1'], [`${key}[]`, '2']]) });
  }
  return attempts;
}

const BAD_SEGMENTS: [string, string][] = [
  ['NUL', 'x%00'],
  ['control characters', '%01%1B'],
  ['long', 'x'.repeat(4_000)],
  ['huge integer', '123456789012345678901234567890'],
  ['negative', '-1'],
  ['dot-dot', '%2E%2E'],
  ['encoded slash', 'a%2Fb'],
  ['percent', '%25'],
];

function segmentAttempts(route: RouteMethod, sample: Sample, query: string, body: Buffer | undefined): Attempt[] {
  return route.segments.flatMap((segment) =>
    BAD_SEGMENTS.map(([name, value]) => ({
      label: `:${segment}: ${name}`,
      field: segment,
      url: `${urlFor(route, sample, { [segment]: value })}${query}`,
      body,
    })),
  );
}

function urlFor(route: RouteMethod, sample: Sample, override: Record<string, string> = {}): string {
  return route.pattern.replace(/\[(?:\.\.\.)?([^\]]+)\]/g, (_, name: string) => override[name] ?? encodeURIComponent(sample.params?.[name] ?? 'x'));
}

// ─── Judging answers ────────────────────────────────────────────────────────────────────────────────────

const normalize = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Why an answer fails the rule, or null: no 5xx, and a validation refusal names its field in JSON. */
async function judge(attempt: Attempt, response: APIResponse): Promise<string | null> {
  const status = response.status();
  const text = await response.text();
  if (attempt.healthCheck && status === 503) return null;
  if (status >= 500) return `${status}: ${text.slice(0, 300)}`;
  if (attempt.status !== undefined && status !== attempt.status) return `${status} instead of ${attempt.status}: ${text.slice(0, 200)}`;
  if (![400, 413, 422].includes(status) || attempt.anyClientError) return null;
  let json: { error?: unknown; issues?: { path?: unknown[]; message?: unknown }[] };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    return `${status} without a JSON body: ${text.slice(0, 200)}`;
  }
  if (typeof json.error !== 'string' || !json.error.trim()) return `${status} without an error message: ${text.slice(0, 200)}`;
  // A body over the limit is refused as a whole, whichever field made it large.
  const field = (status === 413 ? 'body' : attempt.field)?.split('.');
  if (!field) return null;
  const said = normalize([json.error, ...(json.issues ?? []).flatMap((issue) => [(issue.path ?? []).join('.'), typeof issue.message === 'string' ? issue.message : ''])].join(' '));
  // A nested field may be named by its own name (expYear) or its whole path (card.expYear).
  return said.includes(normalize(field.at(-1)!)) ? null : `${status} does not name ${field.join('.')}: ${json.error.slice(0, 200)}`;
}

async function runAll(api: APIRequestContext, jobs: { attempt: Attempt; method: Method; headers: Record<string, string>; route: string }[]): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let job = jobs[next++]; job; job = jobs[next++]) {
      const { attempt, method, headers, route } = job;
      const response = await api.fetch(attempt.url, { method, headers, data: attempt.body, maxRedirects: 0, failOnStatusCode: false });
      const problem = await judge(attempt, response);
      if (problem) failures.push(`${method} ${route} — ${attempt.label}: ${problem}`);
    }
  };
  // A few at a time: quick, without drowning a 2-core machine.
  await Promise.all(Array.from({ length: 4 }, worker));
  return failures;
}

test('every API route answers bad input with a 4xx that names the field, never a 5xx', async ({ asRole, baseURL, playwright }) => {
  test.setTimeout(120_000);
  const routes = discoverRoutes();
  expect(routes.length).toBeGreaterThan(20);
  const origin = new URL(baseURL ?? 'http://localhost:3000').origin;

  const page = await asRole('admin', '/');
  const anonymous = await playwright.request.newContext({ baseURL });
  try {
    const sessionJobs: Parameters<typeof runAll>[1] = [];
    const anonymousJobs: Parameters<typeof runAll>[1] = [];
    for (const route of routes) {
      const sample = SAMPLES[route.pattern]?.[route.method] ?? {};
      const auth: Auth = sample.auth ?? (route.usesApiRoute ? 'session' : 'none');
      const mutation = route.method !== 'GET';
      const headers: Record<string, string> = { origin, ...(mutation ? { 'content-type': 'application/json' } : {}) };
      if (auth === 'service-token') headers.authorization = `Bearer ${process.env.CARD_LINK_API_TOKEN ?? 'no-token-in-this-environment'}`;
      const base = urlFor(route, sample);
      const query = sample.query ? `?${new URLSearchParams(sample.query).toString()}` : '';
      const validBody = mutation ? Buffer.from(toJsonText(sample.body ?? {})) : undefined;
      const attempts = [
        ...(mutation ? bodyAttempts(`${base}${query}`, sample.body ?? {}) : queryAttempts(base, sample.query ?? {})),
        ...segmentAttempts(route, sample, query, validBody),
      ];
      const jobs = auth === 'session' ? sessionJobs : anonymousJobs;
      for (const attempt of attempts) {
        if (sample.foreignFormat) attempt.anyClientError = true;
        if (sample.healthCheck) attempt.healthCheck = true;
        jobs.push({ attempt, method: route.method, headers, route: route.pattern });
      }
      if (auth === 'session') {
        // Without a session every console route refuses with 401 before reading anything.
        anonymousJobs.push({ attempt: { label: 'no session, NUL body', field: null, status: 401, url: `${base}${query}`, body: mutation ? Buffer.from('{"a":"\\u0000"}') : undefined }, method: route.method, headers, route: route.pattern });
      }
    }
    console.log(`fuzz: ${routes.length} route methods, ${sessionJobs.length + anonymousJobs.length} requests`);
    const failures = [...(await runAll(page.request, sessionJobs)), ...(await runAll(anonymous, anonymousJobs))];
    expect(failures).toEqual([]);
  } finally {
    await anonymous.dispose();
  }
});

test('a path segment that is not valid percent-encoding is refused with a 400 naming it on every dynamic route', async ({ asRole, baseURL }) => {
  // Next.js 16.4's production server answers a dynamic segment it cannot percent-decode (e.g. %FF) with a bare
  // 500 before any route code runs; proxy.ts refuses such a path first.
  const page = await asRole('admin', '/');
  const origin = new URL(baseURL ?? page.url()).origin;
  const failures: string[] = [];
  for (const route of discoverRoutes().filter((candidate) => candidate.segments.length > 0)) {
    const sample = SAMPLES[route.pattern]?.[route.method] ?? {};
    const url = urlFor(route, sample, { [route.segments[0]!]: '%FF%FE' });
    const response = await page.request.fetch(url, { method: route.method, headers: { origin, 'content-type': 'application/json' }, data: route.method === 'GET' ? undefined : '{}', maxRedirects: 0 });
    const text = await response.text();
    if (response.status() !== 400 || !text.includes('not valid UTF-8 percent-encoding')) failures.push(`${route.method} ${url}: ${response.status()} ${text.slice(0, 200)}`);
  }
  expect(failures).toEqual([]);
});

/** A multipart body written by hand, so a field can carry bytes that are not UTF-8. */
function multipart(boundary: string, fields: [string, string | Buffer][]): Buffer {
  const parts = fields.map(([name, value]) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`), Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\r\n')]),
  );
  return Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
}

interface LoginAction {
  send: (body: Buffer, contentType?: string, extra?: Record<string, string>) => Promise<APIResponse>;
  /** The captured form with one field replaced (and others, e.g. a password, set too). */
  withField: (field: string, value: string | Buffer, also?: Record<string, string>) => Buffer;
}

/** The sign-in action's id and wire format, taken from the real form: submitted empty, it answers without signing in. */
async function captureLoginAction(context: BrowserContext, baseURL: string | undefined): Promise<LoginAction> {
  await ignoreHotReload(context);
  const page = await context.newPage();
  await page.goto('/login');
  const submitted = page.waitForRequest((request) => request.method() === 'POST' && request.headers()['next-action'] !== undefined);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const captured = await submitted;
  await expect(page.getByText('Enter your username and password.')).toBeVisible();

  const headers = captured.headers();
  const form = await new Response(new Uint8Array(captured.postDataBuffer() ?? Buffer.alloc(0)), { headers: { 'content-type': headers['content-type']! } }).formData();
  const original = [...form.entries()].map(([name, value]): [string, string] => [name, typeof value === 'string' ? value : '']);
  const fieldName = (field: string) => original.find(([name]) => name === field || name.endsWith(`_${field}`))?.[0];
  const boundary = 'fuzzboundary7d1f';
  const actionHeaders = {
    ...Object.fromEntries(['next-action', 'next-router-state-tree', 'accept'].flatMap((name) => (headers[name] ? [[name, headers[name]]] : []))),
    origin: new URL(baseURL ?? page.url()).origin,
  };
  return {
    send: (body, contentType = `multipart/form-data; boundary=${boundary}`, extra = {}) =>
      context.request.post('/login', { headers: { ...actionHeaders, 'content-type': contentType, ...extra }, data: body, maxRedirects: 0, failOnStatusCode: false }),
    withField: (field, value, also = {}) =>
      multipart(
        boundary,
        original.map(([name, current]): [string, string | Buffer] => {
          if (name === fieldName(field)) return [name, value];
          for (const [other, otherValue] of Object.entries(also)) if (name === fieldName(other)) return [name, otherValue];
          return [name, current];
        }),
      ),
  };
}

async function fiveHundreds(attempts: [string, () => Promise<APIResponse>][]): Promise<string[]> {
  const failures: string[] = [];
  for (const [label, attempt] of attempts) {
    const response = await attempt();
    if (response.status() >= 500) failures.push(`${label}: ${response.status()} ${(await response.text()).slice(0, 300)}`);
  }
  return failures;
}

test('the sign-in server action answers bad field values without a 5xx', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL });
  try {
    const { send, withField } = await captureLoginAction(context, baseURL);
    const attempts: [string, () => Promise<APIResponse>][] = [['unknown action id', () => send(withField('username', ''), undefined, { 'next-action': '00'.repeat(21) })]];
    for (const field of ['username', 'password', 'callbackUrl']) {
      for (const [name, value] of [
        ['NUL', 'x\u0000y'],
        ['control characters', '\u0001\u001b\u007f'],
        ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xc3, 0x28])],
        ['long string', 'x'.repeat(20_000)],
      ] as [string, string | Buffer][]) {
        attempts.push([`${field}: ${name}`, () => send(withField(field, value))]);
      }
    }
    // These reach Auth.js and the users table (few, so a sign-in rate limit is not tripped for other specs).
    attempts.push(['username with NUL and a password', () => send(withField('username', 'fuzz\u0000nobody', { password: 'not-a-password' }))]);
    attempts.push(['long username and a password', () => send(withField('username', 'x'.repeat(20_000), { password: 'not-a-password' }))]);
    expect(await fiveHundreds(attempts)).toEqual([]);
  } finally {
    await context.close();
  }
});

test('a server-action request Next.js cannot decode is refused with a 4xx naming what is wrong', async ({ browser, baseURL }) => {
  // Next.js 16.4 decodes a server action's body, and checks its Origin, before any of our code runs, and answers
  // what it cannot decode (not multipart, empty, truncated, over its 1 MB limit, an Origin that is not a URL or
  // another site) with 500; proxy.ts refuses such a POST first.
  const context = await browser.newContext({ baseURL });
  try {
    const { send, withField } = await captureLoginAction(context, baseURL);
    const multipartOnly = (body: string) => context.request.post('/login', { headers: { origin: new URL(baseURL ?? 'http://localhost:3000').origin, 'content-type': 'multipart/form-data; boundary=fuzzboundary7d1f' }, data: Buffer.from(body), maxRedirects: 0, failOnStatusCode: false });
    const cases: [string, () => Promise<APIResponse>, number, RegExp][] = [
      ['garbage body', () => send(Buffer.from('not multipart at all')), 400, /not valid multipart\/form-data/],
      ['empty body', () => send(Buffer.alloc(0)), 400, /not valid multipart\/form-data/],
      ['JSON instead of a form', () => send(Buffer.from('{"username":"a"}'), 'application/json'), 400, /not an argument list/],
      ['text that is not JSON', () => send(Buffer.from('[1,'), 'text/plain;charset=UTF-8'), 400, /not an argument list/],
      ['invalid UTF-8 text', () => send(Buffer.from([0x5b, 0xff, 0x5d]), 'text/plain;charset=UTF-8'), 400, /not valid UTF-8/],
      ['truncated multipart', () => send(withField('username', 'a').subarray(0, 40)), 400, /not valid multipart\/form-data/],
      ['multipart without the argument list', () => send(Buffer.from('--fuzzboundary7d1f\r\nContent-Disposition: form-data; name="username"\r\n\r\na\r\n--fuzzboundary7d1f--\r\n')), 400, /form field "0"/],
      ['body over 1 MB', () => send(withField('username', 'x'.repeat(1_100_000))), 413, /over 1 MB/],
      ['an Origin that is not a URL', () => send(withField('username', 'a'), undefined, { origin: 'not a url' }), 400, /Origin header is not a URL/],
      ['the Origin of another site', () => send(withField('username', 'a'), undefined, { origin: 'https://evil.example' }), 403, /Origin header .* is not this console/],
      ['garbage multipart without an action header', () => multipartOnly('not multipart at all'), 400, /not valid multipart\/form-data/],
    ];
    const failures: string[] = [];
    for (const [label, attempt, status, error] of cases) {
      const response = await attempt();
      const text = await response.text();
      let said: unknown;
      try {
        said = (JSON.parse(text) as { error?: unknown }).error;
      } catch {
        // Not JSON: reported below.
      }
      if (response.status() !== status || typeof said !== 'string' || !error.test(said)) failures.push(`${label}: ${response.status()} ${text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    // The unchanged form still reaches the action (which answers that the fields are empty).
    const untouched = await send(withField('username', ''));
    expect(untouched.status()).toBe(200);
  } finally {
    await context.close();
  }
});
