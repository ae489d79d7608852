import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test as base, type BrowserContext, type Page } from '@playwright/test';
import { createCustomer, removeCustomers } from './support/enrollments.ts';
import { type DrillRun, insertDeadLetters, type NewDeadLetters, produceDrilledDeadLetters, type Redrive, removeDeadLetters, removeDrillRun } from './support/dead-letters.ts';
import { createStockItem, removeStockItems, type StockItem } from './support/stock-items.ts';
import { addFaultDrill, removeFaultDrills, type FaultDrill } from './support/fault-drills.ts';
import { type PartnerVersions, readPartnerVersions, writePartnerVersions } from './support/partners.ts';
import { createUser, type NewUser, removeUsers } from './support/users.ts';

export type Role = 'associate' | 'support' | 'engineer' | 'admin' | 'viewer';
export const ROLES: readonly Role[] = ['associate', 'support', 'engineer', 'admin', 'viewer'];

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

/** Where the setup project (auth.setup.ts) saves each role's signed-in browser state (git-ignored). */
export function authFile(role: Role): string {
  return path.join(import.meta.dirname, '.auth', `${role}.json`);
}

/** Waits for the signed-in header to name `role`. Generous: under `next dev` the first visit also compiles the page. */
export async function expectSignedIn(page: Page, role: Role): Promise<void> {
  await expect(page.getByTestId('current-role')).toHaveText(role, { timeout: 60_000 });
}

/**
 * Keeps `next dev` from reloading the page under test: its hot-reload socket still serves the chunks the page loads,
 * but rebuild notices and reload orders are not passed on, so a rebuild (anyone's edit, or the dev server seeing its
 * own log file change) reloads no page mid-step. The production build CI tests has no such socket.
 */
export async function ignoreHotReload(context: BrowserContext): Promise<void> {
  await context.routeWebSocket(/\/_next\/(webpack-)?hmr/, (socket) => {
    const server = socket.connectToServer();
    server.onMessage((message) => {
      if (typeof message === 'string' && /"type":"(reloadPage|building|built|restart)"/.test(message)) return;
      socket.send(message);
    });
  });
}

/** Signs in through the login form, as a user would: for the specs about signing in, and the setup project. */
export async function logIn(page: Page, role: Role, returnTo = '/'): Promise<void> {
  const { username, password } = loginFor(role);
  await page.goto(`/login?callbackUrl=${encodeURIComponent(returnTo)}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expectSignedIn(page, role);
}

/** Saves a full-page screenshot of a main page for the CI artifacts (e2e/screenshots/, gitignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(import.meta.dirname, 'screenshots', `${name}.png`), fullPage: true });
}

interface Fixtures {
  /**
   * A page in a browser context of its own, signed in as `role` from the setup project's saved state; with `path`,
   * opened there and checked to be signed in. Each call is a separate user; all are closed after the test. The
   * test's own `page` and `request` stay anonymous.
   */
  asRole: (role: Role, path?: string) => Promise<Page>;
  /** A store × SKU of the test's own (a fresh store, catalog item and level row), removed with everything on it afterwards. */
  stockItem: StockItem;
  /** A customer of the test's own; afterwards its workflows still running are ended and its rows (links, subscriptions, cards) removed. */
  newCustomer: (name: string) => Promise<string>;
  /** Dead letters inserted directly (no pipeline); removed afterwards with the bulk operations that took them. */
  deadLetters: (entries?: NewDeadLetters) => Promise<string[]>;
  /** A pending dead letter for access checks (one `deadLetters()` entry). */
  pendingDeadLetter: string;
  /** Fault drills on rows; removed afterwards, with the dead letters carrying their error. */
  faultDrill: (drill: FaultDrill) => Promise<void>;
  /** Real dead letters from the real pipeline (`produceDrilledDeadLetters`); removed afterwards with their bulk operations. */
  drilledDeadLetters: (redrive: Redrive) => Promise<DrillRun>;
  /** Sets a partner's live and shadow versions; the ones it had are put back afterwards. */
  partnerVersions: (partnerId: string, versions: PartnerVersions) => Promise<void>;
  /** A console user of the test's own (username and password to sign in with); removed afterwards. */
  newUser: (role: Role, displayName: string) => Promise<NewUser>;
}

// Each fixture hands its value to the test through `provide` (Playwright's `use`, renamed: the React hooks lint rule claims that name).
export const test = base.extend<Fixtures>({
  context: async ({ context }, provide) => {
    await ignoreHotReload(context);
    await provide(context);
  },

  asRole: async ({ browser }, provide) => {
    const contexts: BrowserContext[] = [];
    await provide(async (role, path) => {
      const context = await browser.newContext({ storageState: authFile(role) });
      contexts.push(context);
      await ignoreHotReload(context);
      const page = await context.newPage();
      if (path !== undefined) {
        await page.goto(path);
        await expectSignedIn(page, role);
      }
      return page;
    });
    for (const context of contexts) await context.close();
  },

  stockItem: async ({}, provide) => {
    const item = await createStockItem();
    await provide(item);
    await removeStockItems([item]);
  },

  newCustomer: async ({}, provide) => {
    const created: string[] = [];
    await provide(async (name) => {
      const customerId = await createCustomer(name);
      created.push(customerId);
      return customerId;
    });
    await removeCustomers(created);
  },

  deadLetters: async ({}, provide) => {
    const ids: string[] = [];
    await provide(async (entries) => {
      const inserted = await insertDeadLetters(entries);
      ids.push(...inserted);
      return inserted;
    });
    await removeDeadLetters(ids);
  },

  pendingDeadLetter: async ({ deadLetters }, provide) => {
    const [id] = await deadLetters();
    if (!id) throw new Error('dead letter insert returned no id');
    await provide(id);
  },

  faultDrill: async ({}, provide) => {
    const drills: FaultDrill[] = [];
    await provide(async (drill) => {
      drills.push(drill);
      await addFaultDrill(drill);
    });
    await removeFaultDrills(drills);
  },

  drilledDeadLetters: async ({}, provide) => {
    const errorTexts: string[] = [];
    await provide((redrive) => {
      const errorText = `e2e-drill-${randomUUID().slice(0, 8)}`;
      errorTexts.push(errorText);
      return produceDrilledDeadLetters(redrive, errorText);
    });
    for (const errorText of errorTexts) await removeDrillRun(errorText);
  },

  partnerVersions: async ({}, provide) => {
    const before = new Map<string, PartnerVersions>();
    await provide(async (partnerId, versions) => {
      if (!before.has(partnerId)) before.set(partnerId, await readPartnerVersions(partnerId));
      await writePartnerVersions(partnerId, versions);
    });
    // Other journeys rely on the seeded configuration (Chase v1 live, v2 in shadow).
    for (const [partnerId, versions] of before) await writePartnerVersions(partnerId, versions);
  },

  newUser: async ({}, provide) => {
    const usernames: string[] = [];
    await provide(async (role, displayName) => {
      const user = await createUser(role, displayName);
      usernames.push(user.username);
      return user;
    });
    await removeUsers(usernames);
  },
});

export { expect };
