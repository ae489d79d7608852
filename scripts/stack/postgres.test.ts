import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertPostgresCanReach, DEFAULT_MAX_SLOT_WAL_KEEP_SIZE, maxSlotWalKeepSize } from './postgres.ts';
import { StackSetupError } from './prerequisites.ts';

describe('maxSlotWalKeepSize', () => {
  it('defaults to 2GB when unset or empty', () => {
    expect(DEFAULT_MAX_SLOT_WAL_KEEP_SIZE).toBe('2GB');
    expect(maxSlotWalKeepSize(undefined)).toBe('2GB');
    expect(maxSlotWalKeepSize('  ')).toBe('2GB');
  });

  it('takes sizes in the units Postgres reads, a bare number of MB, and -1 for no limit', () => {
    for (const value of ['512MB', '4GB', '1TB', '65536kB', '1024', '-1']) expect(maxSlotWalKeepSize(value)).toBe(value);
    expect(maxSlotWalKeepSize(' 8GB ')).toBe('8GB');
  });

  it('refuses what Postgres would not take, or less than one WAL segment, naming the variable', () => {
    for (const value of ['2gb', '2 GB', '2GiB', '1.5GB', 'lots', '-5', '0', '8MB', '1024kB']) {
      expect(() => maxSlotWalKeepSize(value)).toThrow(StackSetupError);
    }
    expect(() => maxSlotWalKeepSize('2gb')).toThrow(/POSTGRES_MAX_SLOT_WAL_KEEP_SIZE=2gb .* case-sensitive/);
  });
});

describe('assertPostgresCanReach', () => {
  // Only root starts Postgres as another user; for anyone else the check has nothing to say.
  it.skipIf(os.userInfo().uid !== 0)('stops a root start in a directory the postgres user cannot enter, in one line naming it and the fix', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-reach-'));
    try {
      const dataDir = path.join(home, 'clone', '.data', 'postgres');
      fs.mkdirSync(path.dirname(dataDir), { recursive: true });
      fs.chmodSync(home, 0o700);
      const err = await assertPostgresCanReach(dataDir).then(() => undefined, (error: unknown) => error);
      expect(err).toBeInstanceOf(StackSetupError);
      const message = (err as StackSetupError).message;
      expect(message).toMatch(new RegExp(`cannot enter ${home} \\(mode 700\\).*chmod o\\+x ${home}.*DATABASE_URL`));
      expect(message).not.toContain('\n');
      fs.chmodSync(home, 0o711);
      await expect(assertPostgresCanReach(dataDir)).resolves.toBeUndefined();
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
