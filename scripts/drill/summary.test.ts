import { describe, expect, it } from 'vitest';
import { SCENARIOS, type ScenarioResult } from './scenarios.ts';
import { drillSummaryLine, failedScenarios, type DrillResults } from './summary.ts';

// What runScenario answers, extras included; recovered_s differs per scenario so a mix-up shows.
const result = (recovered_s: number | null, over: Partial<ScenarioResult> = {}): ScenarioResult => ({
  lost: 0,
  doubled: 0,
  recovered_s,
  drained_s: 12.5,
  adjustments: 5000,
  final_state_mismatches: 0,
  ...over,
});

// Filled in the order `npm run drill -- poison kafka_stop …` would run them, not the contract's.
const allFive = (): DrillResults => ({
  poison: { ...result(5.8), poison_messages: 9, lost_by: { signalled: 0 } },
  kafka_stop: result(33.7),
  postgres_restart: result(1.6),
  worker_sigkill: result(64.4),
  temporal_restart: result(5.1),
});

describe('drillSummaryLine', () => {
  it('prints one line of the contract shape: every scenario, in the contract order, lost/doubled/recovered_s first', () => {
    const line = drillSummaryLine(allFive());
    expect(line).not.toContain('\n');
    const scenario = (name: string, recovered: number) => `"${name}":\\{"lost":0,"doubled":0,"recovered_s":${recovered}[,}]`;
    const contract = new RegExp(
      '^\\{"scenarios":\\{' +
        [scenario('worker_sigkill', 64.4), scenario('kafka_stop', 33.7), scenario('temporal_restart', 5.1), scenario('postgres_restart', 1.6), scenario('poison', 5.8)].join('.*') +
        '.*\\}\\}$',
    );
    expect(line).toMatch(contract);

    const parsed = JSON.parse(line) as { scenarios: Record<string, Record<string, unknown>> };
    expect(Object.keys(parsed)).toEqual(['scenarios']);
    expect(Object.keys(parsed.scenarios)).toEqual([...SCENARIOS]);
    for (const name of SCENARIOS) {
      const entry = parsed.scenarios[name]!;
      expect(Object.keys(entry).slice(0, 3)).toEqual(['lost', 'doubled', 'recovered_s']);
      expect([typeof entry.lost, typeof entry.doubled, typeof entry.recovered_s]).toEqual(['number', 'number', 'number']);
    }
    // Extra keys ride along unchanged.
    expect(parsed.scenarios.poison).toMatchObject({ drained_s: 12.5, adjustments: 5000, poison_messages: 9, lost_by: { signalled: 0 } });
  });

  it('puts lost, doubled and recovered_s first whatever order the result was built in, and stays one line', () => {
    const scrambled: ScenarioResult = { note: 'first line\nsecond line', recovered_s: 2, doubled: 1, lost: 3 };
    const line = drillSummaryLine({ kafka_stop: scrambled });
    expect(line).toBe('{"scenarios":{"kafka_stop":{"lost":3,"doubled":1,"recovered_s":2,"note":"first line\\nsecond line"}}}');
    expect(line.split('\n')).toHaveLength(1);
  });

  it('prints only the scenarios that ran', () => {
    expect(Object.keys((JSON.parse(drillSummaryLine({ poison: result(1), worker_sigkill: result(2) })) as { scenarios: object }).scenarios)).toEqual([
      'worker_sigkill',
      'poison',
    ]);
  });
});

describe('failedScenarios', () => {
  it('is empty when every scenario shows 0 lost, 0 doubled, a matching final state and a recovery time', () => {
    expect(failedScenarios(allFive())).toEqual([]);
  });

  it('names, in the contract order, each scenario that lost, doubled, mismatched the stock or never drained', () => {
    const results: DrillResults = {
      ...allFive(),
      poison: result(5.8, { lost: 1 }),
      kafka_stop: result(33.7, { doubled: 2 }),
      postgres_restart: result(1.6, { final_state_mismatches: 4 }),
      worker_sigkill: result(null),
    };
    expect(failedScenarios(results)).toEqual(['worker_sigkill', 'kafka_stop', 'postgres_restart', 'poison']);
  });

  it('names a scenario whose worker died on its own, even with nothing lost (the drill restarts it)', () => {
    expect(failedScenarios({ ...allFive(), postgres_restart: result(23.1, { worker_crashes: 1 }) })).toEqual(['postgres_restart']);
  });
});
