import fs from 'node:fs';
import path from 'node:path';

/** A user as a child process started with uid/gid runs: Node drops root's supplementary groups, so only these count. */
export interface ProcessIds {
  uid: number;
  gid: number;
}

/** Whether `ids` may pass through (search, `x`) a directory with this owner and mode; POSIX bits only, no ACLs. */
export function canEnter(stat: Pick<fs.Stats, 'uid' | 'gid' | 'mode'>, ids: ProcessIds | undefined): boolean {
  if (ids?.uid === 0) return true;
  if (ids && stat.uid === ids.uid) return (stat.mode & 0o100) !== 0;
  if (ids && stat.gid === ids.gid) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/**
 * The first existing directory on the way from `/` to `dir` (included) that `ids` cannot enter, or undefined when it
 * can reach `dir`. Without ids (the user does not exist yet), only the bits for other users count.
 */
export function firstUnreachableDir(dir: string, ids: ProcessIds | undefined): string | undefined {
  const absolute = path.resolve(dir);
  const parts = absolute.split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i += 1) {
    const current = path.sep + parts.slice(0, i).join(path.sep);
    const stat = fs.statSync(current, { throwIfNoEntry: false });
    // Not created yet: whoever creates it (root, here) decides its mode; what exists above is what can block.
    if (!stat) return undefined;
    if (stat.isDirectory() && !canEnter(stat, ids)) return current;
  }
  return undefined;
}
