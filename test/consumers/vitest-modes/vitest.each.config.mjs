// Projects, the global setup listed in each project: one run all the same.
import { defineConfig } from 'vitest/config';

const setup = ['ephemeral-servers/vitest/setup'];
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { test: { name: 'p1', include: ['tests/p1/*.test.mjs'], globalSetup: setup } },
      { test: { name: 'p2', include: ['tests/p2/*.test.mjs'], globalSetup: setup } },
    ],
  },
});
