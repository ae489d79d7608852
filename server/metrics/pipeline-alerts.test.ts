import { describe, expect, it } from 'vitest';
import { THRESHOLDS } from './alert-thresholds.ts';
import { evaluateAlerts, type AlertReadings } from './pipeline-alerts.ts';

const quiet: AlertReadings = {
  slot: { slotName: 'dashops_cdc', lagBytes: 1024 },
  consumerLag: [{ table: 'inventory_levels', partition: 0, lag: 0 }],
  deadLetters: [],
  streamBacklog: [{ table: 'inventory_levels', oldestAgeMs: null }],
  workerHeartbeatAgeMs: 2_000,
  workerStaleAfterMs: 20_000,
  cardLink: { calls: 100, errors: 0 },
};

const names = (readings: Partial<AlertReadings>) => evaluateAlerts({ ...quiet, ...readings }).map((alert) => alert.name);

describe('evaluateAlerts', () => {
  it('fires nothing on a healthy pipeline', () => {
    expect(evaluateAlerts(quiet)).toEqual([]);
  });

  it('fires each alert just past its threshold and not at it', () => {
    const t = THRESHOLDS;
    expect(names({ slot: { slotName: 's', lagBytes: t.slotLagBytes } })).toEqual([]);
    expect(names({ slot: { slotName: 's', lagBytes: t.slotLagBytes + 1 } })).toEqual(['DashOpsRelaySlotLagHigh']);

    expect(names({ consumerLag: [{ table: 'inventory_lots', partition: 3, lag: t.consumerLagMessages }] })).toEqual([]);
    expect(names({ consumerLag: [{ table: 'inventory_lots', partition: 3, lag: t.consumerLagMessages + 1 }] })).toEqual(['DashOpsConsumerLagHigh']);

    // 5 per 5 minutes is 1 per minute: at the threshold; 6 is past it.
    expect(names({ deadLetters: [{ table: 'inventory_levels', count: 5 }] })).toEqual([]);
    expect(names({ deadLetters: [{ table: 'inventory_levels', count: 6 }] })).toEqual(['DashOpsDeadLetterRateHigh']);

    expect(names({ streamBacklog: [{ table: 'inventory_levels', oldestAgeMs: t.streamBacklogAgeSeconds * 1000 }] })).toEqual([]);
    expect(names({ streamBacklog: [{ table: 'inventory_levels', oldestAgeMs: t.streamBacklogAgeSeconds * 1000 + 1 }] })).toEqual(['DashOpsStreamBacklogOld']);

    expect(names({ cardLink: { calls: 100, errors: 5 } })).toEqual([]);
    expect(names({ cardLink: { calls: 100, errors: 6 } })).toEqual(['DashOpsCardLinkErrorRateHigh']);
    // Too few calls to say anything about a rate.
    expect(names({ cardLink: { calls: t.cardLinkMinCalls - 1, errors: t.cardLinkMinCalls - 1 } })).toEqual([]);

    expect(names({ workerHeartbeatAgeMs: 20_000 })).toEqual([]);
    expect(names({ workerHeartbeatAgeMs: 20_001 })).toEqual(['DashOpsWorkerDown']);
    expect(names({ workerHeartbeatAgeMs: null })).toEqual(['DashOpsWorkerDown']);
  });

  it('lists critical alerts first, each with what crossed the threshold', () => {
    const firing = evaluateAlerts({
      ...quiet,
      consumerLag: [{ table: 'inventory_levels', partition: 2, lag: 25_000 }],
      slot: { slotName: 'dashops_cdc', lagBytes: 2 * 1024 * 1024 * 1024 },
    });
    expect(firing).toEqual([
      {
        name: 'DashOpsRelaySlotLagHigh',
        severity: 'critical',
        summary: 'The CDC relay slot holds more than 1 GiB of WAL',
        detail: 'Slot dashops_cdc holds 2048 MiB of WAL.',
      },
      {
        name: 'DashOpsConsumerLagHigh',
        severity: 'warning',
        summary: 'A processor consumer group is more than 10,000 messages behind on a partition',
        detail: 'inventory_levels partition 2 is 25000 messages behind.',
      },
    ]);
  });
});
