import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { defineWebServers } from 'ephemeral-servers/playwright';

// A webServer of Playwright's own, on a port allocated once in the runner and seen by every worker.
// (Playwright compiles a TypeScript config to CommonJS: __dirname, not import.meta.)
const contractServer = join(__dirname, '../contract/server.mjs');
const web = defineWebServers({
  site: { command: [process.execPath, contractServer, 'site', '{port}'], readiness: { type: 'http', path: '/info' } },
});

export default defineConfig({
  testDir: './tests',
  workers: 2,
  reporter: 'list',
  outputDir: `${process.env.ES_CONSUMER_CACHE_DIR ?? 'test-results'}/playwright-output`,
  // The run (servers.config.mjs next to this file), its teardown and its supervisor.
  globalSetup: 'ephemeral-servers/playwright',
  webServer: web.webServer,
  use: { baseURL: web.url('site') },
});
