import { describe, expect, it } from 'vitest';
import { expiredNotice, retentionPlan } from './retention.ts';

describe('retentionPlan', () => {
  it('cuts each table at its own retention, stream_applied with change_outcomes', () => {
    const plan = retentionPlan({ changeOutcomes: 7, pipelineSamples: 30, deadLetters: 14 }, new Date('2026-12-31T12:00:00Z'));
    expect(plan).toEqual([
      { table: 'change_outcomes', before: '2026-12-24T12:00:00.000Z', retainDays: 7 },
      { table: 'stream_applied', before: '2026-12-24T12:00:00.000Z', retainDays: 7 },
      { table: 'pipeline_samples', before: '2026-12-01T12:00:00.000Z', retainDays: 30 },
      { table: 'dead_letters', before: '2026-12-17T12:00:00.000Z', retainDays: 14 },
    ]);
  });
});

describe('expiredNotice', () => {
  it('names the retention and the horizon', () => {
    expect(expiredNotice({ retainDays: 1, expiredBefore: new Date('2026-12-01T00:00:00Z') })).toBe(
      'Trace expired: outcomes older than 1 day are deleted (everything before 2026-12-01T00:00:00.000Z).',
    );
  });
});
