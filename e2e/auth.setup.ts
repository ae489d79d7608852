import fs from 'node:fs';
import path from 'node:path';
import { authFile, logIn, ROLES, test as setup } from './fixtures.ts';

// The setup project (playwright.config.ts): every run signs each role in once, through the real login form, and
// saves the session for the specs' `asRole`. Always fresh: `npm test` makes new logins (and a new AUTH_SECRET) per run.
for (const role of ROLES) {
  setup(`sign in as ${role}`, async ({ page }) => {
    // The first sign-in of a `next dev` console also compiles the login page, its action and the home page.
    setup.setTimeout(120_000);
    await logIn(page, role);
    const file = authFile(role);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written aside, then renamed: another run's specs may be reading the file at this moment.
    const state = await page.context().storageState();
    fs.writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(state));
    fs.renameSync(`${file}.${process.pid}.tmp`, file);
  });
}
