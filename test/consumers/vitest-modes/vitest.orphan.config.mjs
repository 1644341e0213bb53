// orphan-driver.mjs: one test file that blocks inside a test; with the package (its global setup and
// fixtures) or plain Vitest.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: process.env.ES_ORPHAN_MODE === 'package' ? ['ephemeral-servers/vitest/setup'] : [],
    include: ['tests/orphan/*.test.mjs'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 60_000,
  },
});
