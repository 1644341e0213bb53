// The failure-mode contract (../failure-contract.test.ts): EPHEMERAL_SERVERS_CONFIG names
// ../contract/failure-contract.config.mjs; one worker, one test that holds.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['ephemeral-servers/vitest/setup'],
    include: ['failure-contract/*.test.mjs'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 30_000,
  },
});
