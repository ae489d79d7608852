import fs from 'node:fs';
import path from 'node:path';
import { expect, test as base, type Page } from '@playwright/test';

export type Role = 'associate' | 'support' | 'engineer' | 'admin' | 'viewer';

interface Login {
  username: string;
  password: string;
  role: Role;
}

/** `npm test` writes fresh demo logins per run; against `npm start`, the ones it saved on first start. */
function loadLogins(): Login[] {
  const file = process.env.E2E_LOGINS_FILE ?? path.join(import.meta.dirname, '..', '.data', 'demo-logins.json');
  if (!fs.existsSync(file)) throw new Error(`No demo logins at ${file}: run the e2e tests through \`npm test\`, or start the stack with \`npm start\` first.`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Login[];
}

export function loginFor(role: Role): Login {
  const login = loadLogins().find((candidate) => candidate.role === role);
  if (!login) throw new Error(`no demo login for role ${role}`);
  return login;
}

/** Signs in through the login form, as a user would, and waits for the signed-in header. */
export async function logIn(page: Page, role: Role, returnTo = '/'): Promise<void> {
  const { username, password } = loginFor(role);
  await page.goto(`/login?callbackUrl=${encodeURIComponent(returnTo)}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Generous: under `next dev` the first sign-in also compiles the server action and the page it lands on.
  await expect(page.getByTestId('current-role')).toHaveText(role, { timeout: 60_000 });
}

/** Saves a full-page screenshot of a main page for the CI artifacts (e2e/screenshots/, gitignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(import.meta.dirname, 'screenshots', `${name}.png`), fullPage: true });
}

export const test = base;
export { expect };
