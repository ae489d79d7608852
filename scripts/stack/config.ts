import { StackSetupError } from './prerequisites.ts';

/** Ports of one stack. Everything `npm start` binds can be moved by env; tests use their own fixed set. */
export interface StackPorts {
  console: number;
  postgres: number;
  kafka: number;
  kafkaController: number;
  temporal: number;
  /** undefined runs Temporal headless. */
  temporalUi: number | undefined;
  /** The partner sandbox standing in for the card-link partners' APIs. */
  sandbox: number;
  /** Where the worker serves its Temporal worker metrics (Prometheus); undefined serves none. */
  workerMetrics?: number;
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new StackSetupError(`${name}=${raw} is not a valid port (1-65535).`);
  }
  return value;
}

export function devPorts(): StackPorts {
  return {
    console: port('PORT', 3000),
    postgres: port('POSTGRES_PORT', 5433),
    kafka: port('KAFKA_PORT', 9092),
    kafkaController: port('KAFKA_CONTROLLER_PORT', 9093),
    temporal: port('TEMPORAL_PORT', 7233),
    temporalUi: port('TEMPORAL_UI_PORT', 8233),
    sandbox: port('PARTNER_SANDBOX_PORT', 4010),
    workerMetrics: port('WORKER_METRICS_PORT', 9464),
  };
}

/** Fixed and far from the dev ports, so `npm test` runs beside a live `npm start`. */
export function testPorts(): StackPorts {
  return {
    console: port('TEST_CONSOLE_PORT', 3100),
    postgres: port('TEST_POSTGRES_PORT', 55433),
    kafka: port('TEST_KAFKA_PORT', 59092),
    kafkaController: port('TEST_KAFKA_CONTROLLER_PORT', 59093),
    temporal: port('TEST_TEMPORAL_PORT', 57233),
    temporalUi: undefined,
    sandbox: port('TEST_PARTNER_SANDBOX_PORT', 4110),
    workerMetrics: port('TEST_WORKER_METRICS_PORT', 59464),
  };
}

/** External services, when configured, replace the local ones: this is how production runs. */
export function externalServices() {
  const value = (name: string) => (process.env[name] ? process.env[name] : undefined);
  return {
    DATABASE_URL: value('DATABASE_URL'),
    KAFKA_BROKERS: value('KAFKA_BROKERS'),
    TEMPORAL_ADDRESS: value('TEMPORAL_ADDRESS'),
    TEMPORAL_TEST_SERVER_PATH: value('TEMPORAL_TEST_SERVER_PATH'),
    PARTNER_SANDBOX_URL: value('PARTNER_SANDBOX_URL'),
  };
}
