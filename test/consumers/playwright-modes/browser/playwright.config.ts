// A page test in a real browser (browser-driver.mjs; .ci/run installs Debian's chromium): a Vite dev
// server (the repository's devDependency, serving test/fixtures/vite-app) and an API server, both
// through defineWebServers.
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { defineWebServers } from 'ephemeral-servers/playwright';

const repository = join(__dirname, '../../../..');
const web = defineWebServers({
  api: { command: ['node', 'api.mjs', '{port}'], readiness: { type: 'http', path: '/hello' } },
  vite: {
    command: [
      'node',
      join(repository, 'node_modules/vite/bin/vite.js'),
      '--port',
      '{port}',
      '--strictPort',
      '--host',
      '127.0.0.1',
    ],
    cwd: join(repository, 'test/fixtures/vite-app'),
    readiness: { type: 'http' },
    dependsOn: ['api'],
  },
});
// Evaluated in the runner and in each worker: the worker's value is the port the launcher reported.
process.env.ES_BROWSER_API_URL = web.url('api');
if (process.env.ES_BROWSER_PORTS_FILE && process.env.TEST_WORKER_INDEX === undefined) {
  require('node:fs').writeFileSync(
    process.env.ES_BROWSER_PORTS_FILE,
    JSON.stringify(Object.values(web.endpoints).map((endpoint) => endpoint.port)),
  );
}

export default defineConfig({
  testDir: './tests',
  workers: 1,
  reporter: 'list',
  outputDir: `${process.env.ES_CONSUMER_CACHE_DIR ?? 'test-results'}/playwright-output`,
  webServer: web.webServer,
  use: {
    baseURL: web.url('vite'),
    browserName: 'chromium',
    // Debian's chromium, not a browser Playwright downloads; as root it needs --no-sandbox.
    launchOptions: { executablePath: '/usr/bin/chromium', args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] },
  },
});
