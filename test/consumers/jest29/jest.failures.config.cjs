// The failure scenario: `EPHEMERAL_SERVERS_CONFIG=../contract/failures.config.mjs` (see package.json).
/** @type {import('jest').Config} */
module.exports = {
  globalSetup: 'ephemeral-servers/jest/global-setup',
  globalTeardown: 'ephemeral-servers/jest/global-teardown',
  testEnvironment: 'ephemeral-servers/jest/environment',
  testMatch: ['<rootDir>/failures/*.test.cjs'],
  transform: {},
  maxWorkers: 1,
  ...(process.env.ES_CONSUMER_CACHE_DIR ? { cacheDirectory: process.env.ES_CONSUMER_CACHE_DIR } : {}),
};
