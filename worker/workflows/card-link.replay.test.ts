import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { cardLinkWorkflowId } from '../../server/card-link/contract.ts';

const { History } = proto.temporal.api.history.v1;

/**
 * Card-link runs recorded with the workflow as it was before ONE_ELIGIBILITY_ACTIVITY_PATCH (validate, select and
 * eligibility as three local activities) must replay on today's code: a multi-match waits days for its
 * reconciliation, so such runs are still open when a new worker takes them over. The files are
 * `History.toObject(…, { longs: String, enums: String, bytes: String })` of real runs on the dev server.
 */
const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));

describe('card-link workflow replay', () => {
  let workflowBundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    workflowBundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./index.ts', import.meta.url)), logger: undefined });
  }, 60_000);

  it.each([
    ['linked', 4],
    ['not-eligible', 3],
    ['multi-match', 4],
    ['expired-card', 2],
  ])('replays a %s run recorded before the one-activity patch', async (name, localActivities) => {
    const history = History.fromObject(JSON.parse(fs.readFileSync(`${testdata}card-link-${name}.json`, 'utf8')) as Record<string, unknown>);
    const markers = (history.events ?? []).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(markers).toHaveLength(localActivities);
    await expect(Worker.runReplayHistory({ workflowBundle }, history, cardLinkWorkflowId(`replay-${name}`, `fp_${name}`))).resolves.toBeUndefined();
  });
});
