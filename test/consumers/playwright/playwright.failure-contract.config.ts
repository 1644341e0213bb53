// The failure-mode contract (../failure-contract.test.ts): its servers through the global setup, a
// webServer through defineWebServers (its launcher must go too), one worker, one test that holds.
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { defineWebServers } from 'ephemeral-servers/playwright';

const web = defineWebServers({
  site: {
    command: [process.execPath, join(__dirname, '../contract/failure-contract-server.mjs'), 'site', '{port}'],
    readiness: { type: 'http', path: '/info' },
  },
});

export default defineConfig({
  testDir: './failure-contract',
  workers: 1,
  reporter: 'list',
  outputDir: `${process.env.ES_CONSUMER_CACHE_DIR ?? 'test-results'}/playwright-failure-contract-output`,
  globalSetup: './failure-contract/global-setup.ts',
  webServer: web.webServer,
  use: { baseURL: web.url('site') },
});
