import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Prints a step's start and end with its duration, and a "still running" line while it takes long, so
 * minutes-long first-run builds never look hung; `detail` adds where the work is (e.g. a build's current phase).
 * Line-based, so steps may run in parallel.
 */
export async function step<T>(label: string, work: () => Promise<T>, { detail }: { detail?: () => string | undefined } = {}): Promise<T> {
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  process.stdout.write(`  … ${label}\n`);
  // The label without its parenthesised notes (log paths, reasons): they were said once already.
  const name = label.replace(/ \(.*$/, '');
  const ticker = setInterval(() => {
    const now = detail?.();
    process.stdout.write(`  … ${name}: still running (${elapsed()})${now ? `: ${now}` : ''}\n`);
  }, 15_000);
  try {
    const result = await work();
    process.stdout.write(`  ✓ ${label} (${elapsed()})\n`);
    return result;
  } catch (err) {
    process.stdout.write(`  ✗ ${label} (${elapsed()})\n`);
    throw err;
  } finally {
    clearInterval(ticker);
  }
}

/** Runs a command to completion with its output in a log file; on failure the error quotes the log's tail. */
export async function runLogged(
  command: string,
  args: string[],
  { logFile, cwd, env }: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<void> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const proc = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', out, out] });
      proc.on('error', reject);
      proc.on('exit', (c) => resolve(c));
    });
    if (code !== 0) {
      const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
      throw new Error(`${command} ${args.join(' ')} exited with ${code}. Last lines of ${logFile}:\n${tail}`);
    }
  } finally {
    fs.closeSync(out);
  }
}

/**
 * The last non-blank line of a log (of those `matching`, if given), without colour codes, cut to `max` characters;
 * undefined while there is none.
 */
export function lastLogLine(logFile: string, { matching, max = 100 }: { matching?: RegExp; max?: number } = {}): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const line = text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && (!matching || matching.test(l)))
    .at(-1);
  return line && line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
