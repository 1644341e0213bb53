// CommonJS test files. What a user writes, plus a cache directory the harness gives each run: Jest
// runs a small suite in band when its timing cache says the tests are fast, and the contract needs
// parallel workers.
/** @type {import('jest').Config} */
module.exports = {
  globalSetup: 'ephemeral-servers/jest/global-setup',
  globalTeardown: 'ephemeral-servers/jest/global-teardown',
  testEnvironment: 'ephemeral-servers/jest/environment',
  testMatch: ['<rootDir>/tests-cjs/*.test.cjs'],
  transform: {},
  maxWorkers: 2,
  ...(process.env.ES_CONSUMER_CACHE_DIR ? { cacheDirectory: process.env.ES_CONSUMER_CACHE_DIR } : {}),
};
