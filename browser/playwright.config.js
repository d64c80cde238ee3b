// Usher's end-user pages in Debian's Chromium (never a downloaded browser),
// against the server browser/run.sh starts and names in USHER_URL.

import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './tests',
  // Two cores: the server, Chromium and the runner share them.
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.USHER_URL,
    browserName: 'chromium',
    locale: 'en-GB',
    trace: 'off',
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
