/**
 * The one place the alert thresholds live. alerts/dashops.rules.yml carries each rule's `expr`, `for` and severity
 * exactly as built here (server/metrics/alert-rules.test.ts fails on any difference), and /pipeline evaluates the
 * same thresholds against its live values (server/metrics/pipeline-alerts.ts).
 */

export type AlertSeverity = 'critical' | 'warning';

export const THRESHOLDS = {
  /** WAL the relay's slot holds: past 1 GiB the relay is far behind, or gone, and the disk fills. */
  slotLagBytes: 1024 * 1024 * 1024,
  /** Messages one partition's consumer group is behind. */
  consumerLagMessages: 10_000,
  /** Dead letters per minute, averaged over 5 minutes. */
  deadLettersPerMinute: 1,
  /** The oldest message queued in a stream workflow: the page's red level (QUEUE_AGE_ERROR_MS). */
  streamBacklogAgeSeconds: 300,
  /** Card-link API calls answered with a server error (5xx), as a share of all calls over 10 minutes. */
  cardLinkErrorRatio: 0.05,
  /** Fewer calls than this in 10 minutes say nothing about a rate. */
  cardLinkMinCalls: 5,
} as const;

export const WORKER_JOB = 'dashops-worker';

export interface AlertRule {
  name: string;
  severity: AlertSeverity;
  /** Prometheus duration the condition must hold before the alert fires. */
  for: string;
  expr: string;
  summary: string;
}

const t = THRESHOLDS;

/** Every rule of alerts/dashops.rules.yml, in file order. */
export const ALERT_RULES = [
  {
    name: 'DashOpsRelaySlotLagHigh',
    severity: 'critical',
    for: '5m',
    expr: `max by (slot) (dashops_relay_slot_lag_bytes) > ${t.slotLagBytes}`,
    summary: 'The CDC relay slot holds more than 1 GiB of WAL',
  },
  {
    name: 'DashOpsConsumerLagHigh',
    severity: 'warning',
    for: '5m',
    expr: `max by (table, partition) (dashops_consumer_lag_messages) > ${t.consumerLagMessages}`,
    summary: 'A processor consumer group is more than 10,000 messages behind on a partition',
  },
  {
    name: 'DashOpsDeadLetterRateHigh',
    severity: 'warning',
    for: '5m',
    expr: `sum by (table) (rate(dashops_dead_letters_total[5m])) * 60 > ${t.deadLettersPerMinute}`,
    summary: 'More than 1 dead letter per minute',
  },
  {
    name: 'DashOpsStreamBacklogOld',
    severity: 'critical',
    for: '1m',
    expr: `max by (table) (dashops_stream_queued_oldest_age_seconds) > ${t.streamBacklogAgeSeconds}`,
    summary: 'A message has been queued in a stream workflow for more than 5 minutes',
  },
  {
    name: 'DashOpsCardLinkErrorRateHigh',
    severity: 'critical',
    for: '5m',
    expr:
      `sum(increase(dashops_card_link_decisions_total{outcome=~"partner_error|unavailable|timeout|error"}[10m])) / sum(increase(dashops_card_link_decisions_total[10m])) > ${t.cardLinkErrorRatio}` +
      ` and sum(increase(dashops_card_link_decisions_total[10m])) >= ${t.cardLinkMinCalls}`,
    summary: 'More than 5% of card-link API calls fail with a server error',
  },
  {
    name: 'DashOpsWorkerDown',
    severity: 'critical',
    for: '1m',
    expr: `up{job="${WORKER_JOB}"} == 0`,
    summary: 'Prometheus cannot scrape a DashOps worker',
  },
] as const satisfies readonly AlertRule[];

export type AlertName = (typeof ALERT_RULES)[number]['name'];
