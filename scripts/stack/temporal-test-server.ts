import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { installMavenLibs } from './maven.ts';
import { repoRoot, toolCacheDir } from './paths.ts';
import { requireTools } from './prerequisites.ts';

export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';

/**
 * Fetches Temporal's time-skipping test server (a Java app) into the tool cache, once, with a wrapper
 * script, and returns the wrapper's path for
 * `TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } })`.
 *
 * The SDK runs the wrapper as `<path> <port>` and SIGKILLs it on teardown; the wrapper `exec`s java, so
 * the process the SDK kills is the JVM itself and nothing is left behind.
 */
export async function ensureTemporalTestServer(): Promise<string> {
  // Maven is only needed for the first fetch (installMavenLibs checks for it then); java on every run.
  requireTools(['java'], 'Temporal test server', 'TEMPORAL_TEST_SERVER_PATH');
  const installDir = path.join(toolCacheDir, `temporal-test-server-${TEMPORAL_TEST_SERVER_VERSION}`);
  const wrapper = path.join(installDir, 'temporal-test-server');
  await installMavenLibs({
    label: `Temporal test server ${TEMPORAL_TEST_SERVER_VERSION}`,
    pom: path.join(repoRoot, 'scripts', 'stack', 'maven', 'temporal-test-server', 'pom.xml'),
    properties: { 'temporal.version': TEMPORAL_TEST_SERVER_VERSION },
    installDir,
    service: 'Temporal test server',
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
  });
  const script = wrapperScript(path.join(installDir, 'libs'));
  if (readIfExists(wrapper) !== script) {
    // Write-then-rename: a concurrent caller never runs a half-written script.
    const temp = `${wrapper}.${process.pid}-${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(temp, script, { mode: 0o755 });
    fs.renameSync(temp, wrapper);
  }
  return wrapper;
}

/**
 * The SDK gives the server 5 s to answer before giving up, so the JVM is tuned for start-up: C1-only JIT,
 * serial GC, small heap. The test server keeps all state in memory and needs little of either.
 */
function wrapperScript(libDir: string): string {
  return `#!/bin/sh
# Written by scripts/stack/temporal-test-server.ts. Usage: temporal-test-server <port> [--enable-time-skipping]
exec java -Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \\
  -cp ${shellQuote(`${libDir}/*`)} io.temporal.testserver.TestServer "$@"
`;
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
