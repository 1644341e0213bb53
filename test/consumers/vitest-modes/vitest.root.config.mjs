// Projects, the global setup listed once at the root.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['ephemeral-servers/vitest/setup'],
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { test: { name: 'p1', include: ['tests/p1/*.test.mjs'] } },
      { test: { name: 'p2', include: ['tests/p2/*.test.mjs'] } },
    ],
  },
});
