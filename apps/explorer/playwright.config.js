// Browser tests of the built explorer (dist/), served by `vite preview` on a
// free port, in Debian's Chromium (no browser is downloaded: CHROMIUM or
// /usr/bin/chromium). The machine may have no network, so Chromium runs
// with its background networking off; without that it stalls at start.
import { defineConfig } from '@playwright/test';

const port = Number(process.env['EXPLORER_PORT'] ?? 4173);

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-artifacts/playwright',
  timeout: 120_000,
  workers: 1,
  reporter: [['list'], ['json', { outputFile: 'test-artifacts/playwright.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}/`,
    launchOptions: {
      executablePath: process.env['CHROMIUM'] ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    viewport: { width: 1500, height: 1000 },
  },
  webServer: {
    command: `npx vite preview --port ${port} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
