/**
 * Links into the Temporal Web UI: the one place their shape is written. A link with a run ID opens that run; without
 * one the UI opens the latest run of the workflow ID, which after continue-as-new may not be the run that did the work,
 * so pages label such a link "latest run". Pure, so client components use it too.
 */

export interface TemporalUi {
  /** Base URL of the Web UI (TEMPORAL_UI_URL). */
  uiUrl: string;
  namespace: string;
}

/** A workflow's page; `runId` null or absent means its latest run. */
export type WorkflowLink = (workflowId: string, runId?: string | null) => string;

const base = ({ uiUrl, namespace }: TemporalUi): string => `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}`;

export function temporalWorkflowUrl(ui: TemporalUi, workflowId: string, runId?: string | null): string {
  const workflow = `${base(ui)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${workflow}/${encodeURIComponent(runId)}` : workflow;
}

export function workflowLinker(ui: TemporalUi): WorkflowLink {
  return (workflowId, runId) => temporalWorkflowUrl(ui, workflowId, runId);
}

/** A schedule's page: its spec, recent and upcoming runs (each run then links with its run ID). */
export function temporalScheduleUrl(ui: TemporalUi, scheduleId: string): string {
  return `${base(ui)}/schedules/${encodeURIComponent(scheduleId)}`;
}
