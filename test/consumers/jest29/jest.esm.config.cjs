// ES module test files: run with `node --experimental-vm-modules` (see package.json).
/** @type {import('jest').Config} */
module.exports = {
  globalSetup: 'ephemeral-servers/jest/global-setup',
  globalTeardown: 'ephemeral-servers/jest/global-teardown',
  testEnvironment: 'ephemeral-servers/jest/environment',
  testMatch: ['<rootDir>/tests-esm/*.test.mjs'],
  transform: {},
  maxWorkers: 2,
  ...(process.env.ES_CONSUMER_CACHE_DIR ? { cacheDirectory: process.env.ES_CONSUMER_CACHE_DIR } : {}),
};
