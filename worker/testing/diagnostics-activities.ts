/** Test-only: the activity behind pingWorkflow, proving a worker polls a queue and runs activities. Not in the production worker. */

export interface PingInput {
  message: string;
}

export interface PingResult {
  reply: string;
  /** Which worker ran the activity. */
  workerId: string;
}

export function createDiagnosticsActivities({ workerId }: { workerId: string }) {
  return {
    async echo({ message }: PingInput): Promise<PingResult> {
      return { reply: `pong: ${message}`, workerId };
    },
  };
}
