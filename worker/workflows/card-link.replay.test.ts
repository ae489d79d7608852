import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { cardLinkWorkflowId } from '../../server/temporal/contract.ts';
import { bundleWorkflows, loadHistory, replayHistory } from '../testing/replay-histories.ts';

/**
 * Card-link runs recorded with the workflow as it was before ONE_ELIGIBILITY_ACTIVITY_PATCH (validate, select and
 * eligibility as three local activities) must replay on today's code: a multi-match waits days for its
 * reconciliation, so such runs are still open when a new worker takes them over. The files are
 * `History.toObject(…, { longs: String, enums: String, bytes: String })` of real runs on the dev server.
 */
describe('card-link workflow replay', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    workflowBundle = await bundleWorkflows();
  }, 60_000);

  it.each([
    ['linked', 4],
    ['not-eligible', 3],
    ['multi-match', 4],
    ['expired-card', 2],
  ])('replays a %s run recorded before the one-activity patch', async (name, localActivities) => {
    const history = loadHistory(`card-link-${name}`);
    const markers = (history.events ?? []).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(markers).toHaveLength(localActivities);
    await expect(replayHistory(workflowBundle, history, cardLinkWorkflowId(`replay-${name}`, `fp_${name}`))).resolves.toBeUndefined();
  });

  // Recorded before CHECK_AND_LINK_PATCH: eligibility, then createLink (multi-match: then its reconciliation).
  it.each([
    ['linked', 2],
    ['not-eligible', 1],
    ['multi-match', 2],
  ])('replays a %s run recorded before the check-and-link patch (eligibility and the link write as two local activities)', async (name, localActivities) => {
    const history = loadHistory(`card-link-${name}-two-hops`);
    const markers = (history.events ?? []).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(markers).toHaveLength(localActivities);
    await expect(replayHistory(workflowBundle, history)).resolves.toBeUndefined();
  });
});
