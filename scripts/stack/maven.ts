import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { toolCacheDir } from './paths.ts';
import { requireTools } from './prerequisites.ts';
import { runLogged, step } from './progress.ts';

/** Written last into a finished install; holds the stamp of the pom and properties it was fetched with. */
const MARKER = '.complete';

export interface MavenLibsOptions {
  /** Shown in the progress line, e.g. `Kafka 4.4.0 broker jars`. */
  label: string;
  /** The pom whose runtime dependencies make up the install. */
  pom: string;
  /** `-D` properties for Maven, e.g. the version to fetch. */
  properties: Record<string, string>;
  /** Final directory; the jars end up in `<installDir>/libs`. */
  installDir: string;
  /** For the missing-tool message: what needs these jars, and the env var that points at an external one instead. */
  service: string;
  envVar: string;
}

/**
 * Fetches a pom's runtime dependencies from Maven Central into `<installDir>/libs`, once, and again only
 * when the pom or the properties change (the marker holds a hash of both).
 *
 * The jars are fetched into a staging directory next to `installDir`, the marker is written last, and the
 * staging directory is renamed into place, so `installDir` is never half-written. Two processes racing
 * here both succeed: the one that loses the rename finds the winner's copy and drops its own.
 */
export async function installMavenLibs(options: MavenLibsOptions): Promise<void> {
  const { label, pom, properties, installDir, service, envVar } = options;
  const stamp = createHash('sha256').update(fs.readFileSync(pom)).update(JSON.stringify(properties)).digest('hex');
  if (readMarker(installDir) === stamp) return;
  requireTools(['java', 'mvn'], service, envVar);
  fs.mkdirSync(path.dirname(installDir), { recursive: true });
  removeAbandoned(installDir);
  const staging = `${installDir}.staging-${process.pid}-${randomBytes(4).toString('hex')}`;
  const logFile = path.join(toolCacheDir, 'logs', `${path.basename(installDir)}-maven.log`);
  try {
    await step(`Fetching ${label} from Maven Central (first run only; log: ${logFile})`, () =>
      runLogged(
        'mvn',
        [
          '-B',
          '-q',
          '-f',
          pom,
          'dependency:copy-dependencies',
          `-DoutputDirectory=${path.join(staging, 'libs')}`,
          ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
        ],
        { logFile, cwd: path.dirname(pom) },
      ),
    );
    fs.writeFileSync(path.join(staging, MARKER), `${stamp}\n`);
    publish(staging, installDir, stamp);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function readMarker(installDir: string): string | undefined {
  try {
    return fs.readFileSync(path.join(installDir, MARKER), 'utf8').trim();
  } catch {
    return undefined;
  }
}

function publish(staging: string, installDir: string, stamp: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      fs.renameSync(staging, installDir);
      return;
    } catch (err) {
      if (!hasCode(err, 'EEXIST', 'ENOTEMPTY')) throw err;
      // Another process published the same thing first: its copy is as good as ours.
      if (readMarker(installDir) === stamp) return;
      if (attempt === 3) throw err;
      // An install from an older pom (or a directory not made here): move it aside, then try again.
      const aside = `${installDir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        fs.renameSync(installDir, aside);
      } catch (moveErr) {
        if (!hasCode(moveErr, 'ENOENT')) throw moveErr;
      }
      fs.rmSync(aside, { recursive: true, force: true });
    }
  }
}

/** Staging and stale directories left behind by processes that were killed mid-way. */
function removeAbandoned(installDir: string): void {
  const parent = path.dirname(installDir);
  const pattern = new RegExp(`^${escapeRegExp(path.basename(installDir))}\\.(?:staging|stale)-(\\d+)-[0-9a-f]+$`);
  for (const entry of fs.readdirSync(parent)) {
    const pid = Number(pattern.exec(entry)?.[1]);
    if (pid && !isAlive(pid)) fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return hasCode(err, 'EPERM');
  }
}

function hasCode(err: unknown, ...codes: string[]): boolean {
  return err instanceof Error && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
