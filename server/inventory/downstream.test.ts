import { describe, expect, it } from 'vitest';
import { buildChangeStep, matchChange, microsToNanos, temporalWorkflowUrl, workflowsOf, type OutcomeRecord } from './downstream.ts';

const link = temporalWorkflowUrl('http://localhost:8233/', 'default');
const KEY = '["SF-001","PRD-BANANA-1LB"]';
const EXPECTED = ['availability-sync', 'low-stock-replenishment'];

// Two adjustments of the same row 3 ms apart: each wrote updated_at, then committed a little later.
const FIRST_WROTE_US = 1_795_440_000_000_100n;
const FIRST_COMMIT = '1795440000000250000.0000000000';
const SECOND_WROTE_US = 1_795_440_000_003_100n;
const SECOND_COMMIT = '1795440000003400000.0000000000';

function outcome(updated: string, subProcessor: string, rest: Partial<OutcomeRecord> = {}): OutcomeRecord {
  return {
    tableName: 'inventory_levels',
    rowKey: KEY,
    updated,
    topic: 'inventory_levels',
    partition: 2,
    offset: updated === FIRST_COMMIT ? '41' : '42',
    subProcessor,
    outcome: 'applied',
    workflowId: `stream:${subProcessor}:SF-001`,
    detail: null,
    latencyMs: 12,
    createdAt: new Date(1_795_440_000_100),
    ...rest,
  };
}

describe('matchChange', () => {
  const both = [outcome(SECOND_COMMIT, 'availability-sync'), outcome(FIRST_COMMIT, 'availability-sync')];

  it('gives each of two quick adjustments of one row its own change', () => {
    const first = { fromNanos: microsToNanos(FIRST_WROTE_US), beforeNanos: microsToNanos(SECOND_WROTE_US) };
    const second = { fromNanos: microsToNanos(SECOND_WROTE_US) };
    expect(matchChange(both, first)).toBe(FIRST_COMMIT);
    expect(matchChange(both, second)).toBe(SECOND_COMMIT);
  });

  it('does not take the next write\'s change while its own has not been processed yet', () => {
    const first = { fromNanos: microsToNanos(FIRST_WROTE_US), beforeNanos: microsToNanos(SECOND_WROTE_US) };
    expect(matchChange([outcome(SECOND_COMMIT, 'availability-sync')], first)).toBeNull();
  });

  it('takes the earliest change at or after the write when nothing bounds it, ignoring older ones', () => {
    const older = outcome('1795439999999000000.0000000000', 'availability-sync');
    expect(matchChange([older, ...both], { fromNanos: microsToNanos(FIRST_WROTE_US) })).toBe(FIRST_COMMIT);
  });

  it('orders changes of one commit by their logical counter, and skips unreadable HLCs', () => {
    const a = '1795440000000250000.0000000001';
    const b = '1795440000000250000.0000000000';
    expect(matchChange([{ updated: 'garbage' }, { updated: a }, { updated: b }], { fromNanos: microsToNanos(FIRST_WROTE_US) })).toBe(b);
  });
});

describe('buildChangeStep', () => {
  const window = { fromNanos: microsToNanos(FIRST_WROTE_US), beforeNanos: microsToNanos(SECOND_WROTE_US) };

  it('is waiting, with every sub-processor pending, until an outcome arrives', () => {
    const step = buildChangeStep('inventory_levels', KEY, [], window, EXPECTED, link);
    expect(step).toMatchObject({ updated: null, kafka: null, complete: false });
    expect(step.subProcessors.map((sp) => [sp.name, sp.outcomes.length])).toEqual([
      ['availability-sync', 0],
      ['low-stock-replenishment', 0],
    ]);
  });

  it('fills in the offset, each sub-processor\'s outcome and its workflow link, and completes', () => {
    const rows = [
      outcome(FIRST_COMMIT, 'availability-sync', { outcome: 'ignored', workflowId: null, detail: 'not accepted' }),
      outcome(FIRST_COMMIT, 'low-stock-replenishment'),
      outcome(SECOND_COMMIT, 'low-stock-replenishment'),
    ];
    const step = buildChangeStep('inventory_levels', KEY, rows, window, EXPECTED, link);
    expect(step).toMatchObject({
      updated: FIRST_COMMIT,
      committedAt: new Date(1_795_440_000_000).toISOString(),
      kafka: { topic: 'inventory_levels', partition: 2, offset: '41' },
      redeliveries: [],
      complete: true,
    });
    expect(step.subProcessors[0]?.outcomes).toEqual([expect.objectContaining({ outcome: 'ignored', workflowUrl: null, detail: 'not accepted' })]);
    expect(step.subProcessors[1]?.outcomes).toEqual([
      expect.objectContaining({
        outcome: 'applied',
        workflowId: 'stream:low-stock-replenishment:SF-001',
        workflowUrl: 'http://localhost:8233/namespaces/default/workflows/stream%3Alow-stock-replenishment%3ASF-001',
        offset: '41',
      }),
    ]);
  });

  it('is not complete while one sub-processor is still missing', () => {
    const step = buildChangeStep('inventory_levels', KEY, [outcome(FIRST_COMMIT, 'availability-sync')], window, EXPECTED, link);
    expect(step.complete).toBe(false);
  });

  it('shows a redelivery of the same change as a later duplicate at another offset', () => {
    const rows = [
      outcome(FIRST_COMMIT, 'availability-sync'),
      outcome(FIRST_COMMIT, 'low-stock-replenishment'),
      outcome(FIRST_COMMIT, 'availability-sync', { outcome: 'duplicate', offset: '57', workflowId: null, createdAt: new Date(1_795_440_009_000) }),
    ];
    const step = buildChangeStep('inventory_levels', KEY, rows, window, EXPECTED, link);
    expect(step.kafka?.offset).toBe('41');
    expect(step.redeliveries).toEqual([{ topic: 'inventory_levels', partition: 2, offset: '57' }]);
    expect(step.subProcessors[0]?.outcomes.map((o) => o.outcome)).toEqual(['applied', 'duplicate']);
  });
});

describe('workflowsOf', () => {
  it('lists each signalled workflow once with the sub-processors that signalled it', () => {
    const window = { fromNanos: microsToNanos(FIRST_WROTE_US) };
    const rows = [outcome(FIRST_COMMIT, 'availability-sync'), outcome(FIRST_COMMIT, 'low-stock-replenishment'), outcome(FIRST_COMMIT, 'availability-sync', { outcome: 'duplicate', workflowId: null })];
    const step = buildChangeStep('inventory_levels', KEY, rows, window, EXPECTED, link);
    expect(workflowsOf([step], link)).toEqual([
      { workflowId: 'stream:availability-sync:SF-001', url: link('stream:availability-sync:SF-001'), subProcessors: ['availability-sync'] },
      { workflowId: 'stream:low-stock-replenishment:SF-001', url: link('stream:low-stock-replenishment:SF-001'), subProcessors: ['low-stock-replenishment'] },
    ]);
  });
});
