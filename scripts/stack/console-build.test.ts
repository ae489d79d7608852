import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_STAMP_FILE, clearBuildStamp, consoleBuildDecision, consoleSourceHash, writeBuildStamp } from './console-build.ts';

let root: string;
const write = (file: string, content: string) => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), content);
};

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'console-build-'));
  write('app/page.tsx', 'export default function Page() { return null; }\n');
  write('server/env.ts', 'export const a = 1;\n');
  write('next.config.js', 'export default {};\n');
  write('package-lock.json', '{}\n');
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

describe('consoleSourceHash', () => {
  it('is stable for the same tree and changes with any bundled source, config or the lockfile', () => {
    const first = consoleSourceHash(root);
    expect(consoleSourceHash(root)).toBe(first);
    write('app/page.tsx', 'export default function Page() { return 1; }\n');
    const edited = consoleSourceHash(root);
    expect(edited).not.toBe(first);
    write('package-lock.json', '{"lockfileVersion":3}\n');
    expect(consoleSourceHash(root)).not.toBe(edited);
  });

  it('changes when a file is added or renamed, not only edited', () => {
    const first = consoleSourceHash(root);
    write('components/button.tsx', 'export {};\n');
    const added = consoleSourceHash(root);
    expect(added).not.toBe(first);
    fs.renameSync(path.join(root, 'components/button.tsx'), path.join(root, 'components/button2.tsx'));
    expect(consoleSourceHash(root)).not.toBe(added);
  });

  it('ignores tests, the worker and anything outside the inputs', () => {
    const first = consoleSourceHash(root);
    write('server/env.test.ts', 'it("x", () => {});\n');
    write('server/db/migrate.integration.test.ts', 'it("x", () => {});\n');
    write('worker/main.ts', 'console.log(1);\n');
    write('README.md', '# notes\n');
    expect(consoleSourceHash(root)).toBe(first);
  });
});

describe('consoleBuildDecision', () => {
  const distDir = () => path.join(root, '.next');
  const finishBuild = (hash: string) => {
    fs.mkdirSync(distDir(), { recursive: true });
    fs.writeFileSync(path.join(distDir(), 'BUILD_ID'), 'abc');
    writeBuildStamp(distDir(), hash, new Date('2026-12-02T16:00:00Z'));
  };

  it('builds when there is no build dir, no BUILD_ID or no stamp', () => {
    expect(consoleBuildDecision(distDir(), 'h1')).toEqual({ build: true, reason: 'no build yet' });
    fs.mkdirSync(distDir());
    writeBuildStamp(distDir(), 'h1');
    expect(consoleBuildDecision(distDir(), 'h1')).toEqual({ build: true, reason: 'no build yet' });
    fs.writeFileSync(path.join(distDir(), 'BUILD_ID'), 'abc');
    clearBuildStamp(distDir());
    expect(consoleBuildDecision(distDir(), 'h1')).toEqual({ build: true, reason: 'no build yet' });
  });

  it('reuses a build stamped with the same hash, and rebuilds for another', () => {
    finishBuild('h1');
    expect(consoleBuildDecision(distDir(), 'h1')).toEqual({ build: false, builtAt: '2026-12-02T16:00:00.000Z' });
    expect(consoleBuildDecision(distDir(), 'h2')).toEqual({ build: true, reason: 'sources changed since the last build' });
  });

  it('treats a cut-short or foreign stamp as no build', () => {
    finishBuild('h1');
    fs.writeFileSync(path.join(distDir(), BUILD_STAMP_FILE), '{"sourceHash": "h1", ');
    expect(consoleBuildDecision(distDir(), 'h1')).toEqual({ build: true, reason: 'no build yet' });
    fs.writeFileSync(path.join(distDir(), BUILD_STAMP_FILE), '{"hash": "h1"}');
    expect(consoleBuildDecision(distDir(), 'h1')).toEqual({ build: true, reason: 'no build yet' });
  });

});
