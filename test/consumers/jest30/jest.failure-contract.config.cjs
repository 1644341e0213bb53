// The failure-mode contract (../failure-contract.test.ts): EPHEMERAL_SERVERS_CONFIG names
// ../contract/failure-contract.config.mjs; one worker, one test that holds.
/** @type {import('jest').Config} */
module.exports = {
  globalSetup: 'ephemeral-servers/jest/global-setup',
  globalTeardown: 'ephemeral-servers/jest/global-teardown',
  testEnvironment: 'ephemeral-servers/jest/environment',
  testMatch: ['<rootDir>/failure-contract/*.test.cjs'],
  transform: {},
  maxWorkers: 1,
  ...(process.env.ES_CONSUMER_CACHE_DIR ? { cacheDirectory: process.env.ES_CONSUMER_CACHE_DIR } : {}),
};
