// Two Jest projects, each listing its own path of the global setup and teardown (Jest calls a module
// once however many projects list it; two paths make it call both). One run serves both projects:
// `shared` starts once, each worker slot's `api` once (docs/runner-modes.md).
const project = (name, setup, teardown) => ({
  displayName: name,
  rootDir: __dirname,
  globalSetup: setup,
  globalTeardown: teardown,
  testEnvironment: 'ephemeral-servers/jest/environment',
  testMatch: [`<rootDir>/tests/${name}/*.test.cjs`],
  transform: {},
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    project('p1', '<rootDir>/setups/setup.cjs', 'ephemeral-servers/jest/global-teardown'),
    project('p2', '<rootDir>/setups/setup-p2.cjs', '<rootDir>/setups/teardown-p2.cjs'),
  ],
  maxWorkers: 2,
  ...(process.env.ES_CONSUMER_CACHE_DIR ? { cacheDirectory: process.env.ES_CONSUMER_CACHE_DIR } : {}),
};
