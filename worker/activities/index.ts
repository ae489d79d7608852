import { createDiagnosticsActivities, type DiagnosticsDeps } from './diagnostics.ts';

export type ActivityDeps = DiagnosticsDeps;

/** Every activity the worker registers, built from the process's shared clients. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDiagnosticsActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
