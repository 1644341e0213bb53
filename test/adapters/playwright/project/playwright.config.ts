import { appendFileSync } from 'node:fs';
import { defineConfig } from '@playwright/test';
import { defineWebServers } from 'ephemeral-servers/playwright';
// @ts-expect-error: a plain .mjs config without types, as users may write it.
import servers from './servers.config.mjs';

const web = defineWebServers(servers, { only: ['web'] });
// Every process that evaluates this config says which port it got (the test asserts they agree).
appendFileSync(
  process.env.ES_TEST_IMPORTS_FILE!,
  `${JSON.stringify({ pid: process.pid, worker: process.env.TEST_WORKER_INDEX ?? null, port: web.endpoints.web!.port })}\n`,
);

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.pw\.ts$/,
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: 'list',
  outputDir: process.env.ES_TEST_OUTPUT_DIR,
  globalSetup: 'ephemeral-servers/playwright',
  webServer: web.webServer,
  use: { baseURL: web.url('web') },
});
