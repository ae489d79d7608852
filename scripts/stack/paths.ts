import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository checkout. */
export const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Tools built or fetched once (Kafka jars, Temporal CLI, test server) live outside the repo so fresh clones reuse them. */
export const toolCacheDir = process.env.DASHOPS_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'dashops');

/** Gitignored runtime data: database files, broker logs, service logs. */
export const dataRoot = path.join(repoRoot, '.data');
