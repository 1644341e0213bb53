import { defineConfig } from 'tsup';

/**
 * One entry per subpath export (see package.json `exports`), plus the CLI and the run supervisor, which are
 * run as scripts. Test runners and supertest stay external: they are the user's (optional peer
 * dependencies).
 */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    vitest: 'src/adapters/vitest/index.ts',
    'vitest-setup': 'src/adapters/vitest/setup.ts',
    jest: 'src/adapters/jest/index.ts',
    'jest-environment': 'src/adapters/jest/environment.ts',
    'jest-global-setup': 'src/adapters/jest/global-setup.ts',
    'jest-global-teardown': 'src/adapters/jest/global-teardown.ts',
    playwright: 'src/adapters/playwright/index.ts',
    supertest: 'src/adapters/supertest.ts',
    cli: 'src/cli/index.ts',
    supervisor: 'src/run/supervisor-main.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // No clean: overwriting in place keeps dist/ usable by a test run while another build runs.
  clean: false,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  splitting: true,
  external: ['vitest', 'jest-environment-node', '@jest/environment', '@playwright/test', 'supertest'],
  shims: true,
  // The bin must be executable even when dist/cli.js already existed (tsup sets the mode only on create).
  onSuccess: 'chmod 755 dist/cli.js',
});
