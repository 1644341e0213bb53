// The failure scenario: `EPHEMERAL_SERVERS_CONFIG=../contract/failures.config.mjs` (see package.json).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['ephemeral-servers/vitest/setup'],
    include: ['failures/*.test.mjs'],
    pool: 'forks',
    maxWorkers: 1,
  },
});
