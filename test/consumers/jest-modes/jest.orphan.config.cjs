// orphan-driver.mjs: two test files, each blocking inside a test in its own worker; with the package
// (global setup, test environment, an in-process server in each worker) or plain Jest.
const withPackage = process.env.ES_ORPHAN_MODE === 'package';
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/tests/orphan/*.test.cjs'],
  ...(withPackage
    ? {
        globalSetup: 'ephemeral-servers/jest/global-setup',
        globalTeardown: 'ephemeral-servers/jest/global-teardown',
        testEnvironment: 'ephemeral-servers/jest/environment',
      }
    : { testEnvironment: 'node' }),
  transform: {},
  maxWorkers: 2,
  testTimeout: 60_000,
  ...(process.env.ES_CONSUMER_CACHE_DIR ? { cacheDirectory: process.env.ES_CONSUMER_CACHE_DIR } : {}),
};
