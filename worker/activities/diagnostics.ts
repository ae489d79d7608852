import type { PingInput, PingResult } from '../../server/temporal/contract.ts';

export interface DiagnosticsDeps {
  workerId: string;
}

export function createDiagnosticsActivities({ workerId }: DiagnosticsDeps) {
  return {
    async echo({ message }: PingInput): Promise<PingResult> {
      return { reply: `pong: ${message}`, workerId };
    },
  };
}
