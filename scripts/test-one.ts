import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { dataRoot, repoRoot } from './stack/paths.ts';

/** `npm run test:one -- <files…>`: runs integration test files against the services `npm run test:stack` keeps up. */
const envFile = path.join(dataRoot, 'test-stack', 'env.json');
if (!fs.existsSync(envFile)) {
  console.error('test:one: no running test stack; start one with `npm run test:stack` in another terminal');
  process.exit(2);
}
const stackEnv = JSON.parse(fs.readFileSync(envFile, 'utf8')) as Record<string, string>;
const vitest = path.join(repoRoot, 'node_modules', '.bin', 'vitest');
const child = spawn(vitest, ['run', '--project', 'integration', ...process.argv.slice(2)], { cwd: repoRoot, env: { ...process.env, ...stackEnv }, stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
