import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['ephemeral-servers/vitest/setup'],
    include: ['tests/*.test.mjs'],
    pool: 'forks',
    maxWorkers: 2,
  },
});
