import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * DashOps's own Prometheus metrics, one registry per process. The worker serves them beside Temporal Core's at
 * `/metrics` (worker/metrics-server.ts); the console serves its card-link ones at `/api/metrics`. Names and labels
 * are what alerts/dashops.rules.yml queries: rename one there too.
 */
function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  // The console measures the card-link API's answers; the worker has none to report.
  const consoleRegistry = new Registry();
  return {
    /** What the worker serves at `/metrics`. */
    registry,
    /** What the console serves at `/api/metrics`. */
    consoleRegistry,
    relaySlotLagBytes: new Gauge({
      name: 'dashops_relay_slot_lag_bytes',
      help: "WAL the relay's replication slot holds: current WAL position minus the slot's confirmed flush position (sampled from Postgres)",
      labelNames: ['slot'],
      registers,
    }),
    relayRows: new Counter({
      name: 'dashops_relay_rows_total',
      help: 'Row changes the CDC relay produced to Kafka and Kafka acknowledged (rate() is rows/s)',
      registers,
    }),
    relayConfirmedAgeSeconds: new Gauge({
      name: 'dashops_relay_confirmed_age_seconds',
      help: "Seconds since the position the relay last confirmed to Postgres was current: its last resolved timestamp (the commit of the last confirmed transaction, or the last keepalive that found it caught up)",
      labelNames: ['slot'],
      registers,
    }),
    processorMessages: new Counter({
      name: 'dashops_processor_messages_total',
      help: 'Changes each sub-processor settled, by outcome (sub_processor "decode": malformed messages dead-lettered before any sub-processor)',
      labelNames: ['table', 'sub_processor', 'outcome'],
      registers,
    }),
    processorLatencySeconds: new Histogram({
      name: 'dashops_processor_latency_seconds',
      help: "From the row change's commit (its `updated`) to its outcome being recorded, per sub-processor",
      labelNames: ['table', 'sub_processor'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    deadLetters: new Counter({
      name: 'dashops_dead_letters_total',
      help: 'New dead letters, by stage (decode, processor, workflow): rate() is the DLQ rate',
      labelNames: ['table', 'stage'],
      registers,
    }),
    consumerLagMessages: new Gauge({
      name: 'dashops_consumer_lag_messages',
      help: "The processor consumer group's lag per partition: high watermark minus committed offset (sampled from Kafka)",
      labelNames: ['table', 'topic', 'partition'],
      registers,
    }),
    streamQueuedMessages: new Gauge({
      name: 'dashops_stream_queued_messages',
      help: 'Messages queued in stream workflows: signalled in the last hour, neither applied nor dead-lettered (the /pipeline sample)',
      labelNames: ['table'],
      registers,
    }),
    streamQueuedOldestAgeSeconds: new Gauge({
      name: 'dashops_stream_queued_oldest_age_seconds',
      help: 'How long the oldest message queued in a stream workflow has waited; 0 when none is queued',
      labelNames: ['table'],
      registers,
    }),
    streamAppliedMessages: new Gauge({
      name: 'dashops_stream_applied_messages',
      help: 'Stream messages whose effect the batch activities applied in the last 5 minutes (stream_applied)',
      labelNames: ['table'],
      registers,
    }),
    streamFailedMessages: new Gauge({
      name: 'dashops_stream_failed_messages',
      help: 'Stream messages the workflows gave up on (dead letters, stage workflow) in the last 5 minutes',
      labelNames: ['table'],
      registers,
    }),
    cardLinkDecisions: new Counter({
      name: 'dashops_card_link_decisions_total',
      help: 'POST /api/card-links answers by outcome (linked, not_eligible, pending_reconciliation, reconciliation_failed; refused for 4xx; partner_error, unavailable, timeout, error for 5xx) and partner',
      labelNames: ['outcome', 'partner'],
      registers: [consoleRegistry],
    }),
    cardLinkSyncSeconds: new Histogram({
      name: 'dashops_card_link_sync_seconds',
      help: 'How long POST /api/card-links took to answer, by outcome',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30],
      registers: [consoleRegistry],
    }),
    sampleFailures: new Counter({
      name: 'dashops_metrics_sample_failures_total',
      help: 'Metric samples that failed (the worker log says why), by what was being read',
      labelNames: ['reading'],
      registers,
    }),
  };
}

export type DashOpsMetrics = ReturnType<typeof createMetrics>;

// Cached on globalThis: a hot reload in `next dev` must not register every metric twice.
const holder = globalThis as typeof globalThis & { __dashopsMetrics?: DashOpsMetrics };

export function metrics(): DashOpsMetrics {
  holder.__dashopsMetrics ??= createMetrics();
  return holder.__dashopsMetrics;
}

/** The processor's hook: one change settled by one sub-processor; `latencyMs` null when it never decoded. */
export function countProcessorOutcome(table: string, subProcessor: string, outcome: string, latencyMs: number | null): void {
  const m = metrics();
  m.processorMessages.inc({ table, sub_processor: subProcessor, outcome });
  if (latencyMs !== null) m.processorLatencySeconds.observe({ table, sub_processor: subProcessor }, latencyMs / 1000);
}

/** server/stream/dead-letter-record.ts's hook: a dead letter recorded for the first time (a repeat of one is not counted). */
export function countDeadLetter(table: string, stage: string): void {
  metrics().deadLetters.inc({ table, stage });
}
