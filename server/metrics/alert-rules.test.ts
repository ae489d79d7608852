import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { ALERT_RULES } from './alert-thresholds.ts';

const run = promisify(execFile);
const alertsDir = path.resolve(import.meta.dirname, '../../alerts');
const rulesFile = path.join(alertsDir, 'dashops.rules.yml');

/** promtool is required: CI installs Debian's `prometheus` package for it (.ci/run); a missing one fails here. */
async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: alertsDir });
    return stdout + stderr;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('promtool is not installed: `apt-get install -y prometheus` (Debian) puts it at /usr/bin/promtool', { cause: err });
    }
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${stdout}${stderr}`, { cause: err });
  }
}

const rulesSchema = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(
        z.object({
          alert: z.string(),
          expr: z.string(),
          for: z.string(),
          labels: z.object({ severity: z.string() }),
          annotations: z.object({ summary: z.string(), description: z.string() }),
        }),
      ),
    }),
  ),
});

describe('alerts/dashops.rules.yml', () => {
  it('is valid for Prometheus (promtool check rules)', async () => {
    expect(await promtool('check', 'rules', rulesFile)).toContain(`SUCCESS: ${ALERT_RULES.length} rules found`);
  }, 30_000);

  it('fires each alert on series past its threshold and stays quiet below it (promtool test rules)', async () => {
    expect(await promtool('test', 'rules', 'dashops.rules.test.yml')).toContain('SUCCESS');
  }, 60_000);

  it('carries exactly the thresholds, durations and severities of server/metrics/alert-thresholds.ts', async () => {
    const file = rulesSchema.parse(parse(await readFile(rulesFile, 'utf8')));
    const rules = file.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => ({ name: rule.alert, severity: rule.labels.severity, for: rule.for, expr: rule.expr, summary: rule.annotations.summary }))).toEqual(
      ALERT_RULES.map(({ name, severity, for: holdFor, expr, summary }) => ({ name, severity, for: holdFor, expr, summary })),
    );
  });
});
