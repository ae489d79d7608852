import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastLogLine } from './progress.ts';

describe('lastLogLine', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'progress-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is undefined until the log has a line, then the last non-blank one without colours', () => {
    const log = path.join(dir, 'next-build.log');
    expect(lastLogLine(log)).toBeUndefined();
    fs.writeFileSync(log, '');
    expect(lastLogLine(log)).toBeUndefined();
    fs.writeFileSync(log, '\x1b[32m✓\x1b[39m Compiled successfully in 94s\n  Running TypeScript ...\n\n');
    expect(lastLogLine(log)).toBe('Running TypeScript ...');
  });

  it('picks the last line that matches, and cuts long ones', () => {
    const log = path.join(dir, 'next-build.log');
    fs.writeFileSync(log, '  Running TypeScript ...\n✓ Finished writing to filesystem cache in 34.8s\n');
    expect(lastLogLine(log, { matching: /\.\.\.$/ })).toBe('Running TypeScript ...');
    fs.writeFileSync(log, 'x'.repeat(300));
    expect(lastLogLine(log, { max: 20 })).toBe(`${'x'.repeat(19)}…`);
  });
});
