import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { db } from '../server/db/client.ts';
import { env } from '../server/env.ts';

const repoRoot = path.resolve(import.meta.dirname, '..');
const tag = randomUUID().slice(0, 8);
const storeId = `CLI-${tag}`;
const SKUS = [`C${tag}-1`, `C${tag}-2`, `D${tag}-1`];
const old = new Date('2026-01-01T00:00:00Z');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run touch -- …` as a child process with pipes for stdio, i.e. without a terminal (as in CI). */
function touch(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { NODE_ENV: 'test', PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/touch.ts', ...args], { cwd: repoRoot, env: childEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const touchedSkus = async () =>
  (await db().inventoryLevel.findMany({ where: { storeId, updatedAt: { gt: old } }, select: { sku: true }, orderBy: { sku: 'asc' } })).map((row) => row.sku);

beforeAll(async () => {
  await db().store.create({ data: { storeId, name: 'CLI test', city: 'Testville' } });
  await db().catalogItem.createMany({ data: SKUS.map((sku) => ({ sku, name: sku, category: 'test', reorderPoint: 1 })) });
  await db().inventoryLevel.createMany({ data: SKUS.map((sku) => ({ storeId, sku, onHand: 3, updatedAt: old })) });
});

afterAll(async () => {
  await db().$disconnect();
});

describe('npm run touch', () => {
  const databaseUrl = () => ({ DATABASE_URL: env().DATABASE_URL });

  it('refuses to run without DATABASE_URL, or with bad arguments, and says why', async () => {
    const noDb = await touch(['--store', storeId, '--reason', 'r', '--yes']);
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain('DATABASE_URL is not set.');

    const bad = await touch(['--store', storeId, '--sku-prefix', 'C\u0001', '--limit', 'lots'], databaseUrl());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--sku-prefix: SKU prefix must not contain control characters (such as NUL)');
    expect(bad.stderr).toContain('--reason: reason is required');
    expect(bad.stderr).toContain('--limit must be a whole number of rows');
    expect(bad.stderr).toContain('Usage: npm run touch');
    expect(await touchedSkus()).toEqual([]);
  });

  it('without --yes and without a terminal, prints the count and refuses to touch anything', async () => {
    const run = await touch(['--store', storeId, '--sku-prefix', `C${tag}`, '--reason', 'no terminal'], databaseUrl());
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`2 rows match inventory_levels:${storeId}/C${tag}*.`);
    expect(run.stderr).toContain('Refusing to re-drive without confirmation: there is no terminal to ask on. Re-run with --yes to confirm.');
    expect(await touchedSkus()).toEqual([]);
  });

  it('refuses a selection over --limit, and an unknown store', async () => {
    const over = await touch(['--store', storeId, '--limit', '2', '--reason', 'too many', '--yes'], databaseUrl());
    expect(over.code).toBe(1);
    expect(over.stderr).toContain('That is more than --limit (2 rows).');
    const unknown = await touch(['--store', `${storeId}-none`, '--reason', 'typo', '--yes'], databaseUrl());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`Unknown store "${storeId}-none".`);
    expect(await touchedSkus()).toEqual([]);
  });

  it('with --yes, re-drives the selection and audits it as the command line', async () => {
    const run = await touch(['--store', storeId, '--sku-prefix', `C${tag}`, '--reason', 'relay replayed from backup', '--yes'], databaseUrl());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Re-drove 2 rows \(2 levels, 0 lots\) in 1 batch; audit entry #\d+ as system:cli:/);
    expect(await touchedSkus()).toEqual(SKUS.slice(0, 2));
    const audit = await db().auditLog.findMany({ where: { action: 'inventory.redrive', target: `inventory_levels:${storeId}/C${tag}*` } });
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor).toMatch(/^system:cli:/);
    expect(audit[0]).toMatchObject({ actorRole: 'system', reason: 'relay replayed from backup', details: { via: 'cli', touched: { total: 2 }, completed: true } });
  });
});
