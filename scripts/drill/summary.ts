import { SCENARIOS, type ScenarioName, type ScenarioResult } from './scenarios.ts';

export type DrillResults = Partial<Record<ScenarioName, ScenarioResult>>;

/**
 * The drill's last stdout line, a contract (keep the shape): `{"scenarios":{"<name>":{"lost":…,"doubled":…,
 * "recovered_s":…,…},…}}`, the scenarios that ran in SCENARIOS order and each one's lost, doubled and recovered_s
 * first, then its other counts. One line: JSON.stringify without indentation escapes any newline inside a value.
 */
export function drillSummaryLine(results: DrillResults): string {
  const scenarios: Record<string, ScenarioResult> = {};
  for (const name of SCENARIOS) {
    const result = results[name];
    if (!result) continue;
    const { lost, doubled, recovered_s, ...extra } = result;
    scenarios[name] = { lost, doubled, recovered_s, ...extra };
  }
  return JSON.stringify({ scenarios });
}

/**
 * The scenarios that broke the promise: something lost or doubled, a final state that does not match the stock, a
 * worker that died on its own (the fault must be survived, not restarted out of), or a backlog that never drained
 * (recovered_s null).
 */
export function failedScenarios(results: DrillResults): ScenarioName[] {
  return SCENARIOS.filter((name) => {
    const result = results[name];
    return result !== undefined && (result.lost > 0 || result.doubled > 0 || result.final_state_mismatches !== 0 || Number(result.worker_crashes ?? 0) > 0 || result.recovered_s === null);
  });
}
