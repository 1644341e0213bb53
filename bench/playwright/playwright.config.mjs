// Playwright Test config of the benchmark: one test that uses no page (no browser is launched).
// BENCH_PW_COMMAND + BENCH_PW_URL set: with a webServer; unset: without.
import { defineConfig } from '@playwright/test';

const command = process.env.BENCH_PW_COMMAND;
const server = (c, url) => ({ command: c, url, reuseExistingServer: false, stdout: 'ignore', stderr: 'ignore' });
export default defineConfig({
  testDir: '.',
  testMatch: 'noop.spec.mjs',
  workers: 1,
  reporter: 'null',
  outputDir: process.env.BENCH_PW_OUTPUT ?? '/tmp/es-bench-pw-output',
  // BENCH_PW_COMMAND2 + BENCH_PW_URL2: a second webServer (orphans benchmark).
  webServer: command
    ? [
        server(command, process.env.BENCH_PW_URL),
        ...(process.env.BENCH_PW_COMMAND2 ? [server(process.env.BENCH_PW_COMMAND2, process.env.BENCH_PW_URL2)] : []),
      ]
    : undefined,
});
