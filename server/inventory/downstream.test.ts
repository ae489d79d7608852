import { describe, expect, it } from 'vitest';
import {
  buildChangeStep,
  deadLetterUrl,
  matchChange,
  microsToNanos,
  summariseEffects,
  traceStatus,
  type ChangeEffects,
  type DeadLetterRecord,
  type OutcomeRecord,
} from './downstream.ts';
import { workflowLinker } from '../temporal/ui-links.ts';

const link = workflowLinker({ uiUrl: 'http://localhost:8233/', namespace: 'default' });
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
    runId: null,
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
    expect(step).toMatchObject({ updated: null, kafka: null, status: 'waiting' });
    expect(step.subProcessors.map((sp) => sp.state)).toEqual(['pending', 'pending']);
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
      status: 'done',
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

  it('waits while one sub-processor is still missing', () => {
    const step = buildChangeStep('inventory_levels', KEY, [outcome(FIRST_COMMIT, 'availability-sync')], window, EXPECTED, link);
    expect(step.status).toBe('waiting');
    expect(step.subProcessors.map((sp) => sp.state)).toEqual(['done', 'pending']);
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

describe('stream effects', () => {
  const window = { fromNanos: microsToNanos(FIRST_WROTE_US) };
  const QUEUED_AT = new Date(1_795_440_000_100);
  const signalled = (subProcessor: string, rest: Partial<OutcomeRecord> = {}) => outcome(FIRST_COMMIT, subProcessor, { outcome: 'signalled', detail: 'signalled run-1', createdAt: QUEUED_AT, ...rest });
  const applied = (subProcessor: string, latencyMs = 240) => ({ subProcessor, workflowId: `stream:${subProcessor}:SF-001`, runId: 'run-7', appliedAt: new Date(1_795_440_000_240), latencyMs });
  const deadLetter = (subProcessor: string, rest: Partial<DeadLetterRecord> = {}): DeadLetterRecord => ({
    id: '77',
    subProcessor,
    stage: 'workflow',
    status: 'pending',
    errorMessage: 'BatchFailed: gave up after 10 attempts',
    createdAt: new Date(1_795_440_030_000),
    workflowId: `stream:${subProcessor}:SF-001`,
    runId: 'run-3',
    ...rest,
  });
  const step = (rows: OutcomeRecord[], effects: ChangeEffects) => buildChangeStep('inventory_levels', KEY, rows, window, EXPECTED, link, effects);

  it('is queued in its workflow, with a link to it, until the workflow applies it: not done meanwhile', () => {
    const queued = step([outcome(FIRST_COMMIT, 'availability-sync', { outcome: 'ignored', workflowId: null }), signalled('low-stock-replenishment')], { applied: [], deadLetters: [] });
    expect(queued.status).toBe('waiting');
    expect(queued.subProcessors[1]).toMatchObject({
      state: 'queued',
      deadLetter: null,
      effect: {
        workflowId: 'stream:low-stock-replenishment:SF-001',
        runId: null,
        workflowUrl: 'http://localhost:8233/namespaces/default/workflows/stream%3Alow-stock-replenishment%3ASF-001',
        queuedAt: QUEUED_AT.toISOString(),
        appliedAt: null,
        latencyMs: null,
      },
    });
    expect(summariseEffects([queued])).toEqual({ queued: 1, applied: 0, failed: 0, slowestMs: null });
    expect(traceStatus([queued])).toBe('waiting');
  });

  it('is done once every queued effect is applied, with when and how long after the commit', () => {
    const done = step([signalled('availability-sync'), signalled('low-stock-replenishment')], { applied: [applied('availability-sync', 120), applied('low-stock-replenishment')], deadLetters: [] });
    expect(done.status).toBe('done');
    expect(done.subProcessors.map((sp) => [sp.state, sp.effect?.appliedAt, sp.effect?.latencyMs])).toEqual([
      ['done', new Date(1_795_440_000_240).toISOString(), 120],
      ['done', new Date(1_795_440_000_240).toISOString(), 240],
    ]);
    // The applying run, not the latest one: after continue-as-new they differ.
    expect(done.subProcessors[1]?.effect).toMatchObject({ runId: 'run-7', workflowUrl: 'http://localhost:8233/namespaces/default/workflows/stream%3Alow-stock-replenishment%3ASF-001/run-7' });
    expect(summariseEffects([done])).toEqual({ queued: 0, applied: 2, failed: 0, slowestMs: 240 });
    expect(traceStatus([done])).toBe('done');

    const half = step([signalled('availability-sync'), signalled('low-stock-replenishment')], { applied: [applied('availability-sync')], deadLetters: [] });
    expect(half.status).toBe('waiting');
  });

  it('stays queued through a redelivery (a duplicate adds nothing to wait for)', () => {
    const rows = [signalled('low-stock-replenishment'), outcome(FIRST_COMMIT, 'low-stock-replenishment', { outcome: 'duplicate', workflowId: null, offset: '57', createdAt: new Date(1_795_440_009_000) })];
    expect(step(rows, { applied: [], deadLetters: [] }).subProcessors[1]?.state).toBe('queued');
    expect(step(rows, { applied: [applied('low-stock-replenishment')], deadLetters: [] }).subProcessors[1]?.state).toBe('done');
  });

  it('fails, linking the dead letter, when the workflow gave up on it; never done', () => {
    const failed = step([outcome(FIRST_COMMIT, 'availability-sync', { outcome: 'ignored', workflowId: null }), signalled('low-stock-replenishment')], {
      applied: [],
      deadLetters: [deadLetter('low-stock-replenishment')],
    });
    expect(failed.subProcessors[1]).toMatchObject({
      state: 'failed',
      effect: { appliedAt: null },
      deadLetter: {
        id: '77',
        url: '/dead-letters?state=all&id=77',
        stage: 'workflow',
        status: 'pending',
        error: 'BatchFailed: gave up after 10 attempts',
        workflowUrl: 'http://localhost:8233/namespaces/default/workflows/stream%3Alow-stock-replenishment%3ASF-001/run-3',
      },
    });
    expect(failed.status).toBe('failed');
    expect(summariseEffects([failed])).toMatchObject({ queued: 0, applied: 0, failed: 1 });
    expect(traceStatus([failed])).toBe('failed');
    // Something still on its way outranks a failure: the trace keeps waiting for it.
    expect(traceStatus([failed, { status: 'waiting' }])).toBe('waiting');
  });

  it('is queued again after a workflow dead letter is replayed (a newer signal), and done when that applies', () => {
    const replayedAt = new Date(1_795_440_060_000);
    const rows = [signalled('low-stock-replenishment'), signalled('low-stock-replenishment', { offset: '41', createdAt: replayedAt })];
    const replayed = step(rows, { applied: [], deadLetters: [deadLetter('low-stock-replenishment', { status: 'replayed' })] });
    expect(replayed.subProcessors[1]).toMatchObject({ state: 'queued', deadLetter: null, effect: { queuedAt: replayedAt.toISOString() } });
    expect(step(rows, { applied: [applied('low-stock-replenishment')], deadLetters: [deadLetter('low-stock-replenishment', { status: 'replayed' })] }).subProcessors[1]?.state).toBe('done');
    // Failing again reopens the same entry (its created_at is still the first failure's): failed again.
    expect(step(rows, { applied: [], deadLetters: [deadLetter('low-stock-replenishment', { status: 'pending' })] }).subProcessors[1]).toMatchObject({ state: 'failed', deadLetter: { id: '77' } });
  });

  it('links the processor-stage dead letter of a sub-processor that failed before any workflow', () => {
    const failed = step([outcome(FIRST_COMMIT, 'availability-sync', { outcome: 'dead_lettered', workflowId: null })], {
      applied: [],
      deadLetters: [deadLetter('availability-sync', { id: '5', stage: 'processor', workflowId: null, runId: null })],
    });
    expect(failed.subProcessors[0]).toMatchObject({ state: 'failed', effect: null, deadLetter: { id: '5', stage: 'processor', url: deadLetterUrl('5') } });
  });
});
