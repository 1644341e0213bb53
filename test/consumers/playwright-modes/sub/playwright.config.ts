import { createServer } from 'node:net';
import { defineConfig } from '@playwright/test';
import { defineWebServers } from 'ephemeral-servers/playwright';

// `cwd: 'app'` is relative to this file's directory (Playwright's webServer default), not to where
// `playwright test` runs. `busy`'s port is taken in the runner before Playwright starts it.
const web = defineWebServers({
  site: { command: ['node', 'server.mjs', 'site', '{port}'], cwd: 'app', readiness: { type: 'http', path: '/info' } },
  busy: { command: ['node', 'server.mjs', 'busy', '{port}'], cwd: 'app', readiness: { type: 'http', path: '/info' } },
});
if (process.env.TEST_WORKER_INDEX === undefined && process.env.ES_MODES_HELD === undefined) {
  process.env.ES_MODES_HELD = String(web.endpoints.busy!.port);
  createServer().listen(web.endpoints.busy!.port, '127.0.0.1').unref();
}

export default defineConfig({
  testDir: './tests',
  workers: 2,
  reporter: 'list',
  outputDir: `${process.env.ES_CONSUMER_CACHE_DIR ?? 'test-results'}/playwright-output`,
  globalSetup: 'ephemeral-servers/playwright',
  webServer: web.webServer,
  use: { baseURL: web.url('site') },
});
