// watch-driver.mjs: `jest --watchAll` over one test file, watching the directory of the servers config
// the driver edits too (ES_WATCH_DIR, among the roots).
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  roots: ['<rootDir>/tests/watch', process.env.ES_WATCH_DIR],
  testMatch: ['<rootDir>/tests/watch/*.test.cjs'],
  globalSetup: 'ephemeral-servers/jest/global-setup',
  globalTeardown: 'ephemeral-servers/jest/global-teardown',
  testEnvironment: 'ephemeral-servers/jest/environment',
  transform: {},
  ...(process.env.ES_CONSUMER_CACHE_DIR ? { cacheDirectory: process.env.ES_CONSUMER_CACHE_DIR } : {}),
};
