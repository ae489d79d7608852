import { spawnSync } from 'node:child_process';

/** A problem the user fixes by installing something or pointing at an external service; printed without a stack. */
export class StackSetupError extends Error {
  override name = 'StackSetupError';
}

const installHints: Record<string, string> = {
  java: 'install a JDK 17 or newer (Debian: apt-get install -y openjdk-17-jre-headless)',
  mvn: 'install Maven (Debian: apt-get install -y maven)',
  // Debian 12's golang package is 1.19, too old for the Temporal CLI; Debian 13's and Ubuntu 24.04's will do.
  go: 'install Go 1.22 or newer (https://go.dev/dl; Debian 13 or Ubuntu 24.04: apt-get install -y golang)',
};

function onPath(command: string): boolean {
  return spawnSync(command, ['-version'], { stdio: 'ignore' }).error === undefined
    || spawnSync(command, ['version'], { stdio: 'ignore' }).error === undefined;
}

/**
 * Fails with a message naming the missing tool, what needs it, and the env var that points at an
 * external service instead.
 */
export function requireTools(tools: string[], service: string, envVar: string): void {
  const missing = tools.filter((tool) => !onPath(tool));
  if (missing.length === 0) return;
  const lines = missing.map((tool) => `  - ${tool}: ${installHints[tool] ?? 'install it and put it on PATH'}`);
  throw new StackSetupError(
    [
      `Cannot start the local ${service}: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not on PATH.`,
      ...lines,
      `Or point DashOps at an existing ${service} instead: set ${envVar}.`,
    ].join('\n'),
  );
}
