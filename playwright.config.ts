import fs from 'node:fs';
import { defineConfig, devices } from '@playwright/test';

// Playwright cannot download its own browser here; Debian's Chromium is used when present.
const debianChromium = '/usr/bin/chromium';
const executablePath = fs.existsSync(debianChromium) ? debianChromium : undefined;

const chromium = {
  ...devices['Desktop Chrome'],
  viewport: { width: 1280, height: 800 },
  launchOptions: {
    executablePath,
    // The sandbox is closed to the internet: keep Chromium from phoning home at start.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  },
};

// scripts/test.ts starts the console (and everything behind it) and passes its URL.
const baseURL = process.env.E2E_BASE_URL ?? 'http://localhost:3000';

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL,
    trace: 'on-first-retry',
    screenshot: 'only-on-failure',
    viewport: { width: 1280, height: 800 },
  },
  projects: [
    // Signs each role in once and saves its session under e2e/.auth/ (git-ignored); the specs' asRole() uses them.
    { name: 'setup', testMatch: /auth\.setup\.ts$/, use: chromium },
    { name: 'chromium', dependencies: ['setup'], use: chromium },
  ],
});
