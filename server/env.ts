import { z } from 'zod';

/** What one worker process can run; WORKER_ROLES picks a subset, so consumers and Temporal workers scale apart. */
export const WORKER_ROLES = ['relay', 'processors', 'stream-worker', 'default-worker', 'cardlink-worker'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** `partnerId=secret` pairs, comma-separated, into a Map (no prototype keys); secrets are never echoed in errors. */
const partnerWebhookSecrets = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const secrets = new Map<string, string>();
    for (const [i, entry] of value.split(',').map((part) => part.trim()).filter(Boolean).entries()) {
      const eq = entry.indexOf('=');
      const partnerId = eq > 0 ? entry.slice(0, eq).trim() : '';
      const secret = entry.slice(eq + 1).trim();
      if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(partnerId)) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} is not partnerId=secret (lower-case partner id)` });
      } else if (secrets.has(partnerId)) {
        ctx.addIssue({ code: 'custom', message: `partner ${partnerId} is named twice` });
      } else if (secret.length < 32) {
        ctx.addIssue({ code: 'custom', message: `the secret of partner ${partnerId} must be at least 32 characters` });
      } else {
        secrets.set(partnerId, secret);
      }
    }
    return secrets;
  });

/** The only reader of process.env for code shared by the console and the worker. */
const schema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'DATABASE_URL must be a postgres:// URL' }),
  KAFKA_BROKERS: z
    .string()
    .min(1, 'KAFKA_BROKERS must list at least one host:port')
    .transform((value) => value.split(',').map((broker) => broker.trim()).filter(Boolean)),
  KAFKA_CLIENT_ID: z.string().default('dashops'),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'TEMPORAL_ADDRESS must be host:port'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Base URL of the Temporal Web UI, for links from the console. */
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().positive().default(5000),
  /** A worker whose last heartbeat is older than this is reported down. */
  WORKER_STALE_AFTER_MS: z.coerce.number().int().positive().default(20_000),
  /** `off` when the database writes changefeeds itself (CockroachDB `CREATE CHANGEFEED`), or another replica relays. */
  CDC_RELAY: z.enum(['on', 'off']).default('on'),
  CDC_SLOT_NAME: z.string().regex(/^[a-z0-9_]+$/, 'CDC_SLOT_NAME must be lower-case letters, digits and _').default('dashops_cdc'),
  CDC_PUBLICATION_NAME: z.string().regex(/^[a-z0-9_]+$/).default('dashops_cdc'),
  CDC_RESOLVED_INTERVAL_MS: z.coerce.number().int().positive().default(5000),
  /** Consumer groups are `<prefix>.<table>`. */
  PROCESSOR_GROUP_PREFIX: z.string().min(1).default('dashops-processor'),
  /** Partitions of the table topics the relay and processor create (existing topics keep theirs): the most worker replicas that can share a table. */
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(6),
  /** Where partner APIs live, under `/partners/<id>`: the partner sandbox locally. */
  PARTNER_SANDBOX_URL: z.url().default('http://127.0.0.1:4010'),
  /** The console's own base URL, for partners' webhooks. */
  CONSOLE_URL: z.url().default('http://localhost:3000'),
  /** How long `POST /api/card-links` waits for the card-link decision before answering 504 (the link continues). */
  CARD_LINK_DECISION_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /**
   * `on`: `POST /api/card-links` may answer `linked` once the decision is made, before the link is written (the
   * write follows durably; README, card-link API, says what `linked` then guarantees). `off`: rows exist on `linked`.
   */
  CARD_LINK_EARLY_RETURN: z.enum(['on', 'off']).default('off'),
  /** Cool-downs before a re-submitted card with a recorded decision is evaluated again (server/card-link/re-evaluation.ts). */
  CARD_LINK_RECHECK_NOT_ELIGIBLE_AFTER_MS: z.coerce.number().int().min(0).default(24 * 3_600_000),
  CARD_LINK_RECHECK_RECONCILIATION_FAILED_AFTER_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** `chase=<secret>,rbc=<secret>`: each partner signs its webhooks with its own secret; a partner without one is refused. */
  PARTNER_WEBHOOK_SECRETS: partnerWebhookSecrets,
  /** Bearer token the customer app's backend sends to `POST /api/card-links`; unset refuses every call (503). */
  CARD_LINK_API_TOKEN: z.string().min(16, 'CARD_LINK_API_TOKEN must be at least 16 characters').optional(),
  /** Signs console session cookies (Auth.js). `npm start` makes one under .data/; production must set its own. */
  AUTH_SECRET: z.string().min(32, 'AUTH_SECRET must be at least 32 characters').optional(),
  /** `off` disables username/password sign-in, leaving OIDC (production). */
  AUTH_LOCAL_PASSWORDS: z.enum(['on', 'off']).default('on'),
  /** OIDC sign-in is offered when all three are set; the user's role comes from the users table, by email. */
  AUTH_OIDC_ISSUER: z.url().optional(),
  AUTH_OIDC_CLIENT_ID: z.string().min(1).optional(),
  AUTH_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  AUTH_OIDC_NAME: z.string().min(1).default('Single sign-on'),
  /** host:port where the worker serves its Prometheus metrics (`/metrics`: DashOps's and Temporal Core's); unset serves none. */
  WORKER_METRICS_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'WORKER_METRICS_ADDRESS must be host:port, e.g. 127.0.0.1:9464').optional(),
  /** Bearer token Prometheus sends to the console's `/api/metrics`; unset, that endpoint answers 404. */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  /** How far a changefeed message's `updated` may be ahead of this worker's clock; further is dead-lettered as malformed. */
  STREAM_MAX_CLOCK_SKEW_MS: z.coerce.number().int().positive().default(300_000),
  /** Comma list of WORKER_ROLES this worker runs (default all): the CDC relay, the Kafka processors, the Temporal worker per task queue. */
  WORKER_ROLES: z
    .string()
    .default(WORKER_ROLES.join(','))
    .transform((value) => [...new Set(value.split(',').map((role) => role.trim()).filter(Boolean))])
    .pipe(
      z
        .array(z.enum(WORKER_ROLES, { error: (issue) => `unknown role ${JSON.stringify(issue.input)}; the roles are ${WORKER_ROLES.join(', ')}` }))
        .min(1, `name at least one of ${WORKER_ROLES.join(', ')}`),
    ),
  /** `on` lets stream_fault_drills rows fail sub-processors in this worker (dev and tests only). */
  STREAM_FAULT_DRILLS: z.enum(['on', 'off']).default('off'),
  /** Entries per second a bulk dead-letter replay or discard processes unless the operator picks a rate (at most 1000). */
  DEAD_LETTER_BULK_RATE: z.coerce.number().positive().max(1000).default(20),
  /** Retention, in days (the retention schedule deletes older rows): change_outcomes and stream_applied, the trace's data. */
  RETENTION_CHANGE_OUTCOMES_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
  RETENTION_PIPELINE_SAMPLES_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Only replayed, superseded or discarded dead letters, counted from when they were resolved; pending ones are kept. */
  RETENTION_DEAD_LETTERS_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
});

export type ServerEnv = z.infer<typeof schema>;

export class InvalidEnvironmentError extends Error {
  override name = 'InvalidEnvironmentError';
}

/** Validates settings against a schema, naming every invalid or missing variable in one error. */
function parseSettings<S extends z.ZodType>(settings: S, source: Record<string, string | undefined>): z.infer<S> {
  const parsed = settings.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new InvalidEnvironmentError(`Invalid environment:\n${problems}`);
  }
  return parsed.data;
}

export function parseEnv(source: Record<string, string | undefined>): ServerEnv {
  return parseSettings(schema, source);
}

let cached: ServerEnv | undefined;

/** Parsed on first use rather than at import, so `next build` can load route modules without a live environment. */
export function env(): ServerEnv {
  cached ??= parseEnv(process.env);
  return cached;
}

const logLevelSchema = z.object({ LOG_LEVEL: schema.shape.LOG_LEVEL });

/** LOG_LEVEL alone: the logger is made at import, where `next build` has none of the services' settings. */
export function logLevel(): ServerEnv['LOG_LEVEL'] {
  return parseSettings(logLevelSchema, process.env).LOG_LEVEL;
}

/** The partner sandbox (worker/partner-sandbox) needs none of the services, so it has its own settings. */
const partnerSandboxSchema = z.object({
  PARTNER_SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(4010),
  PARTNER_SANDBOX_HOST: z.string().min(1).default('127.0.0.1'),
  /** Where resolved multi-matches are POSTed (`/api/partner-webhooks/<partnerId>`). */
  CONSOLE_URL: z.url().default('http://localhost:3000'),
  /** Signs each partner's webhooks; the same setting the console verifies with. A partner without a secret sends unsigned. */
  PARTNER_WEBHOOK_SECRETS: partnerWebhookSecrets,
  /** How long a multi-match stays pending before the sandbox answers it. */
  PARTNER_SANDBOX_RECONCILE_AFTER_MS: z.coerce.number().int().min(0).default(2000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type PartnerSandboxEnv = z.infer<typeof partnerSandboxSchema>;

export function parsePartnerSandboxEnv(source: Record<string, string | undefined>): PartnerSandboxEnv {
  return parseSettings(partnerSandboxSchema, source);
}

export function partnerSandboxEnv(): PartnerSandboxEnv {
  return parsePartnerSandboxEnv(process.env);
}
