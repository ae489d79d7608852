import type { PrismaClient } from '../db/generated/client.ts';
import { SECURITY_AUDIT_ACTIONS } from '../audit/security-events.ts';
import { parsePartitionLag, streamQueueLatest, WINDOW_MS } from '../stream/pipeline-health.ts';
import { getSlotLag } from '../stream/slot-lag.ts';
import { changefeedTables, type ChangefeedTable } from '../stream/tables.ts';
import { ALERT_RULES, THRESHOLDS, type AlertName, type AlertSeverity } from './alert-thresholds.ts';

/** The DLQ rate is averaged over this window, as the rule's `rate(…[5m])`. */
export const DEAD_LETTER_WINDOW_MS = 5 * 60 * 1000;
/** Card-link calls are counted over this window, as the rule's `increase(…[10m])`. */
export const CARD_LINK_WINDOW_MS = 10 * 60 * 1000;

/** What /pipeline knows now, the inputs of the alert conditions. */
export interface AlertReadings {
  /** The relay's slot lag; null where no relay runs (CDC_RELAY=off) or the slot is missing (the slot panel says so). */
  slot: { slotName: string; lagBytes: number } | null;
  /** Per table and partition, from the newest pipeline sample. */
  consumerLag: { table: string; partition: number; lag: number }[];
  /** Dead letters recorded per table over DEAD_LETTER_WINDOW_MS. */
  deadLetters: { table: string; count: number }[];
  /** The oldest message queued in a stream workflow, per table; null when none is queued or it was not measured. */
  streamBacklog: { table: string; oldestAgeMs: number | null }[];
  /** Age of the newest worker heartbeat; null when no worker has written one. */
  workerHeartbeatAgeMs: number | null;
  /** A heartbeat older than this means the worker is down (WORKER_STALE_AFTER_MS, as the health check). */
  workerStaleAfterMs: number;
  /** POST /api/card-links calls over CARD_LINK_WINDOW_MS, and those answered 5xx (the card_link_api.call audit rows). */
  cardLink: { calls: number; errors: number };
}

export interface FiringAlert {
  name: AlertName;
  severity: AlertSeverity;
  summary: string;
  /** What crossed the threshold, now. */
  detail: string;
}

/** The answer of GET /api/pipeline/alerts. */
export interface PipelineAlerts {
  evaluatedAt: string;
  /** Critical first. */
  firing: FiringAlert[];
  /** Every rule checked, firing or not. */
  rules: { name: AlertName; severity: AlertSeverity; summary: string }[];
}

const rule = (name: AlertName) => ALERT_RULES.find((candidate) => candidate.name === name)!;
const mib = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MiB`;

/**
 * The alert rules' conditions, evaluated once against the page's live values: which alerts Prometheus would fire now
 * (Prometheus also waits each rule's `for` before it pages).
 */
export function evaluateAlerts(readings: AlertReadings): FiringAlert[] {
  const firing: FiringAlert[] = [];
  const fire = (name: AlertName, detail: string) => {
    const { severity, summary } = rule(name);
    firing.push({ name, severity, summary, detail });
  };
  const t = THRESHOLDS;

  if (readings.slot && readings.slot.lagBytes > t.slotLagBytes) fire('DashOpsRelaySlotLagHigh', `Slot ${readings.slot.slotName} holds ${mib(readings.slot.lagBytes)} of WAL.`);
  for (const { table, partition, lag } of readings.consumerLag) {
    if (lag > t.consumerLagMessages) fire('DashOpsConsumerLagHigh', `${table} partition ${partition} is ${lag} messages behind.`);
  }
  for (const { table, count } of readings.deadLetters) {
    const perMinute = count / (DEAD_LETTER_WINDOW_MS / 60_000);
    if (perMinute > t.deadLettersPerMinute) fire('DashOpsDeadLetterRateHigh', `${table}: ${perMinute.toFixed(1)} dead letters per minute over the last 5 minutes.`);
  }
  for (const { table, oldestAgeMs } of readings.streamBacklog) {
    if (oldestAgeMs !== null && oldestAgeMs / 1000 > t.streamBacklogAgeSeconds) {
      fire('DashOpsStreamBacklogOld', `${table}: the oldest queued message was signalled ${Math.round(oldestAgeMs / 60_000)} min ago.`);
    }
  }
  const { calls, errors } = readings.cardLink;
  if (calls >= t.cardLinkMinCalls && errors / calls > t.cardLinkErrorRatio) {
    fire('DashOpsCardLinkErrorRateHigh', `${errors} of ${calls} card-link API calls in the last 10 minutes failed with a server error (${Math.round((errors / calls) * 100)}%).`);
  }
  const age = readings.workerHeartbeatAgeMs;
  if (age === null) fire('DashOpsWorkerDown', 'No worker has written a heartbeat.');
  else if (age > readings.workerStaleAfterMs) fire('DashOpsWorkerDown', `The newest worker heartbeat is ${Math.round(age / 1000)} s old.`);

  return firing.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
}

/** Reads the live values (slot now, newest pipeline samples, recent dead letters, heartbeats, card-link calls). */
export async function readAlertReadings(
  db: PrismaClient,
  { slotName, workerStaleAfterMs }: { slotName: string | null; workerStaleAfterMs: number },
  now: Date,
): Promise<AlertReadings> {
  const tables = Object.keys(changefeedTables) as ChangefeedTable[];
  const [slot, samples, deadLetters, heartbeat, cardLink] = await Promise.all([
    slotName === null ? null : getSlotLag(db, slotName),
    Promise.all(
      tables.map((table) =>
        db.pipelineSample.findFirst({
          where: { tableName: table, sampledAt: { gt: new Date(now.getTime() - WINDOW_MS) } },
          orderBy: { sampledAt: 'desc' },
          select: { tableName: true, partitionLag: true, streamQueued: true, streamQueuedOldestAt: true },
        }),
      ),
    ),
    db.deadLetter.groupBy({ by: ['tableName'], where: { createdAt: { gt: new Date(now.getTime() - DEAD_LETTER_WINDOW_MS) } }, _count: { _all: true } }),
    db.workerHeartbeat.findFirst({ orderBy: { lastSeenAt: 'desc' }, select: { lastSeenAt: true } }),
    db.$queryRaw<{ calls: number; errors: number }[]>`
      SELECT count(*)::int AS calls, count(*) FILTER (WHERE (details->>'status')::int >= 500)::int AS errors
      FROM audit_log
      WHERE action = ${SECURITY_AUDIT_ACTIONS.cardLinkCall} AND created_at > ${new Date(now.getTime() - CARD_LINK_WINDOW_MS)}
        AND details->>'method' = 'POST' AND details->>'path' = '/api/card-links'`,
  ]);
  const present = samples.filter((sample): sample is NonNullable<typeof sample> => sample !== null);
  return {
    slot: slot ? { slotName: slot.slotName, lagBytes: slot.lagBytes } : null,
    consumerLag: present.flatMap((sample) => parsePartitionLag(sample.partitionLag).map(({ partition, lag }) => ({ table: sample.tableName, partition, lag }))),
    deadLetters: deadLetters.map((group) => ({ table: group.tableName ?? 'unknown', count: group._count._all })),
    streamBacklog: present.map((sample) => ({ table: sample.tableName, oldestAgeMs: streamQueueLatest(sample, now)?.oldestAgeMs ?? null })),
    workerHeartbeatAgeMs: heartbeat ? Math.max(0, now.getTime() - heartbeat.lastSeenAt.getTime()) : null,
    workerStaleAfterMs,
    cardLink: cardLink[0] ?? { calls: 0, errors: 0 },
  };
}

export async function getPipelineAlerts(db: PrismaClient, options: { slotName: string | null; workerStaleAfterMs: number }, now: Date = new Date()): Promise<PipelineAlerts> {
  const readings = await readAlertReadings(db, options, now);
  return {
    evaluatedAt: now.toISOString(),
    firing: evaluateAlerts(readings),
    rules: ALERT_RULES.map(({ name, severity, summary }) => ({ name, severity, summary })),
  };
}
