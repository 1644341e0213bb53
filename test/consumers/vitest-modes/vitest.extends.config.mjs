// Projects that inherit the root's global setup (`extends: true`): Vitest runs it three times.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['ephemeral-servers/vitest/setup'],
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'p1', include: ['tests/p1/*.test.mjs'] } },
      { extends: true, test: { name: 'p2', include: ['tests/p2/*.test.mjs'] } },
    ],
  },
});
