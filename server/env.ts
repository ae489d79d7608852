import { z } from 'zod';

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
});

export type ServerEnv = z.infer<typeof schema>;

export class InvalidEnvironmentError extends Error {
  override name = 'InvalidEnvironmentError';
}

export function parseEnv(source: Record<string, string | undefined>): ServerEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new InvalidEnvironmentError(`Invalid environment:\n${problems}`);
  }
  return parsed.data;
}

let cached: ServerEnv | undefined;

/** Parsed on first use rather than at import, so `next build` can load route modules without a live environment. */
export function env(): ServerEnv {
  cached ??= parseEnv(process.env);
  return cached;
}
