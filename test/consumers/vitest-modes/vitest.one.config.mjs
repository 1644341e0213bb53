// Projects, the global setup in one project only: the other one still gets the fixtures and `inject`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { test: { name: 'p1', include: ['tests/p1/*.test.mjs'], globalSetup: ['ephemeral-servers/vitest/setup'] } },
      { test: { name: 'p2', include: ['tests/p2/*.test.mjs'] } },
    ],
  },
});
