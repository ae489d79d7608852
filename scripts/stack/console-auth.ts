import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DemoLogin } from '../../server/auth/users.ts';

/**
 * A secret the stack hands its console: the env var if set, else one kept in the data dir (owner-only) so it
 * survives restarts — AUTH_SECRET signs sessions, CARD_LINK_API_TOKEN admits the customer app's card-link calls.
 */
export function stackSecret(dataDir: string, name: 'AUTH_SECRET' | 'CARD_LINK_API_TOKEN'): string {
  const fromEnv = process.env[name];
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir, name.toLowerCase().replaceAll('_', '-'));
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export function demoLoginsFile(dataDir: string): string {
  return path.join(dataDir, 'demo-logins.json');
}

/** Keeps the demo logins (readable by the owner only), since the database stores only their hashes. */
export function saveDemoLogins(dataDir: string, logins: DemoLogin[]): string {
  const file = demoLoginsFile(dataDir);
  fs.writeFileSync(file, `${JSON.stringify(logins, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export function formatDemoLogins(logins: DemoLogin[]): string {
  const width = Math.max(...logins.map((login) => login.username.length));
  return logins.map((login) => `  ${login.username.padEnd(width)}  ${login.password}   (${login.role})`).join('\n');
}
