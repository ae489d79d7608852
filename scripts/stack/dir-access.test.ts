import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canEnter, firstUnreachableDir } from './dir-access.ts';

describe('canEnter', () => {
  const postgres = { uid: 101, gid: 104 };
  it('reads the owner, group or other search bit, whichever applies to the user', () => {
    expect(canEnter({ uid: 0, gid: 0, mode: 0o40700 }, postgres)).toBe(false);
    expect(canEnter({ uid: 0, gid: 0, mode: 0o40701 }, postgres)).toBe(true);
    expect(canEnter({ uid: 0, gid: 104, mode: 0o40710 }, postgres)).toBe(true);
    // The group's bit is the one that applies to a member, even when others may enter.
    expect(canEnter({ uid: 0, gid: 104, mode: 0o40701 }, postgres)).toBe(false);
    expect(canEnter({ uid: 101, gid: 0, mode: 0o40600 }, postgres)).toBe(false);
    expect(canEnter({ uid: 101, gid: 0, mode: 0o40100 }, postgres)).toBe(true);
  });

  it('lets root in anywhere, and a user that does not exist yet only where others may enter', () => {
    expect(canEnter({ uid: 5, gid: 5, mode: 0o40000 }, { uid: 0, gid: 0 })).toBe(true);
    expect(canEnter({ uid: 0, gid: 0, mode: 0o40770 }, undefined)).toBe(false);
    expect(canEnter({ uid: 0, gid: 0, mode: 0o40755 }, undefined)).toBe(true);
  });
});

describe('firstUnreachableDir', () => {
  let root: string;
  // Another user than the one running the test: only the "other" bits apply to it.
  const stranger = { uid: os.userInfo().uid + 4242, gid: os.userInfo().gid + 4242 };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dir-access-'));
    fs.chmodSync(root, 0o755);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('names the first directory on the way that the user cannot enter', () => {
    const home = path.join(root, 'home');
    const checkout = path.join(home, 'clone', 'node_modules', 'bin');
    fs.mkdirSync(checkout, { recursive: true, mode: 0o755 });
    fs.chmodSync(home, 0o700);
    expect(firstUnreachableDir(checkout, stranger)).toBe(home);
    fs.chmodSync(home, 0o711);
    expect(firstUnreachableDir(checkout, stranger)).toBeUndefined();
  });

  it('judges only what exists: a data dir not created yet is reachable when its parents are', () => {
    expect(firstUnreachableDir(path.join(root, 'not', 'yet'), stranger)).toBeUndefined();
    fs.chmodSync(root, 0o700);
    expect(firstUnreachableDir(path.join(root, 'not', 'yet'), stranger)).toBe(root);
  });
});
