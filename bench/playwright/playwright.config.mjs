// Playwright Test config of the benchmark: one test that uses no page (no browser is launched).
// BENCH_PW_COMMAND + BENCH_PW_URL set: with a webServer; unset: without.
import { defineConfig } from '@playwright/test';

const command = process.env.BENCH_PW_COMMAND;
export default defineConfig({
  testDir: '.',
  testMatch: 'noop.spec.mjs',
  workers: 1,
  reporter: 'null',
  outputDir: process.env.BENCH_PW_OUTPUT ?? '/tmp/es-bench-pw-output',
  webServer: command
    ? { command, url: process.env.BENCH_PW_URL, reuseExistingServer: false, stdout: 'ignore', stderr: 'ignore' }
    : undefined,
});
