import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Whether the console's production build is current: a hash of everything `next build` reads (the console's
 * sources, the server code it imports, its config and the lockfile) is stamped into the build dir after a
 * successful build, and a start rebuilds only when the hash differs. Tests are left out: they are not bundled.
 */
export const CONSOLE_BUILD_INPUTS = [
  'app',
  'components',
  'server',
  'public',
  'proxy.ts',
  'next.config.js',
  'postcss.config.mjs',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
] as const;

/** Written into the build dir last, so a build that was interrupted has none and is redone. */
export const BUILD_STAMP_FILE = 'dashops-build.json';

const stampSchema = z.object({ sourceHash: z.string(), builtAt: z.string() });

const isTestFile = (name: string) => /\.test\.tsx?$/.test(name);

function listFiles(root: string, relative: string, into: string[]): void {
  const full = path.join(root, relative);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isFile()) {
    if (!isTestFile(relative)) into.push(relative);
    return;
  }
  if (!stat.isDirectory()) return;
  for (const entry of fs.readdirSync(full)) listFiles(root, path.join(relative, entry), into);
}

/** sha256 over the inputs' relative paths and contents, in a fixed order: the same tree hashes the same anywhere. */
export function consoleSourceHash(root: string, inputs: readonly string[] = CONSOLE_BUILD_INPUTS): string {
  const files: string[] = [];
  for (const input of inputs) listFiles(root, input, files);
  files.sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file.split(path.sep).join('/')}\0`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

export type BuildDecision =
  | { build: false; builtAt: string }
  | { build: true; reason: 'no build yet' | 'sources changed since the last build' };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Reads the stamp in `distDir` (absolute) and says whether a build with `sourceHash` is needed. */
export function consoleBuildDecision(distDir: string, sourceHash: string): BuildDecision {
  const stampFile = path.join(distDir, BUILD_STAMP_FILE);
  if (!fs.existsSync(path.join(distDir, 'BUILD_ID')) || !fs.existsSync(stampFile)) return { build: true, reason: 'no build yet' };
  const stamp = stampSchema.safeParse(parseJson(fs.readFileSync(stampFile, 'utf8')));
  // A stamp that is not ours (hand-edited, cut short) vouches for nothing.
  if (!stamp.success) return { build: true, reason: 'no build yet' };
  if (stamp.data.sourceHash !== sourceHash) return { build: true, reason: 'sources changed since the last build' };
  return { build: false, builtAt: stamp.data.builtAt };
}

/** Removed before a build starts, so a failed or interrupted build never passes for the previous one. */
export function clearBuildStamp(distDir: string): void {
  fs.rmSync(path.join(distDir, BUILD_STAMP_FILE), { force: true });
}

export function writeBuildStamp(distDir: string, sourceHash: string, builtAt = new Date()): void {
  fs.writeFileSync(path.join(distDir, BUILD_STAMP_FILE), JSON.stringify({ sourceHash, builtAt: builtAt.toISOString() }, null, 2) + '\n');
}
