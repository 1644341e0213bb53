import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Starts the run-scoped servers, provides their endpoints, and tears every server down at the end.
    globalSetup: ['ephemeral-servers/vitest/setup'],
    // At least two workers: each slot gets its own worker-scoped servers.
    maxWorkers: 2,
    // isolate: true (the default): a fresh worker per test file; the http-server of a slot is reused.
  },
});
