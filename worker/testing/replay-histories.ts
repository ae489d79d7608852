import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** What the replay tests share: recorded histories from worker/workflows/testdata/, their payloads, and today's workflow bundle. */

export type History = proto.temporal.api.history.v1.History;
export const { EventType } = proto.temporal.api.enums.v1;

const testdata = fileURLToPath(new URL('../workflows/testdata/', import.meta.url));

/** `worker/workflows/testdata/<file>.json`: `History.toObject(…, { longs: String, enums: String, bytes: String })` of a real run. */
export function loadHistory(file: string): History {
  return proto.temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(`${testdata}${file}.json`, 'utf8')) as Record<string, unknown>);
}

/** The first payload, as the default JSON converter wrote it. */
export function decodePayload(payloads: proto.temporal.api.common.v1.IPayloads | null | undefined): unknown {
  return JSON.parse(Buffer.from(payloads?.payloads?.[0]?.data ?? []).toString('utf8'));
}

export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)), logger: undefined });
}

/** Replays `history` on `bundle`; the workflow id defaults to the one the history started with. */
export function replayHistory(bundle: WorkflowBundleWithSourceMap, history: History, workflowId?: string): Promise<void> {
  return Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId ?? history.events[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? undefined);
}
