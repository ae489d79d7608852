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

/**
 * PARTNER_WEBHOOK_SECRETS for the stack's console and partner sandbox: the env var if set, else one secret per
 * partner kept in the data dir (owner-only), adding any partner that is new since the file was written.
 */
export function partnerWebhookSecrets(dataDir: string, partnerIds: readonly string[]): string {
  const fromEnv = process.env.PARTNER_WEBHOOK_SECRETS;
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir, 'partner-webhook-secrets');
  const kept = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  const pairs = kept ? kept.split(',') : [];
  const missing = partnerIds.filter((id) => !pairs.some((pair) => pair.startsWith(`${id}=`)));
  if (missing.length === 0) return kept;
  const all = [...pairs, ...missing.map((id) => `${id}=${randomBytes(36).toString('base64url')}`)].join(',');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, `${all}\n`, { mode: 0o600 });
  return all;
}

export function demoLoginsFile(dataDir: string): string {
  return path.join(dataDir, 'demo-logins.json');
}

/** Keeps the demo logins (readable by the owner only), since the database stores only their hashes; new ones join those kept. */
export function saveDemoLogins(dataDir: string, logins: DemoLogin[]): string {
  const file = demoLoginsFile(dataDir);
  const kept = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as DemoLogin[]) : [];
  const merged = [...kept.filter((login) => !logins.some((fresh) => fresh.username === login.username)), ...logins];
  fs.writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o600 });
  return file;
}

export function formatDemoLogins(logins: DemoLogin[]): string {
  const width = Math.max(...logins.map((login) => login.username.length));
  return logins.map((login) => `  ${login.username.padEnd(width)}  ${login.password}   (${login.role})`).join('\n');
}
