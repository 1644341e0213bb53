// The failure scenario: its own servers config, one worker, the tests in order.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: './failures',
  workers: 1,
  reporter: 'list',
  outputDir: `${process.env.ES_CONSUMER_CACHE_DIR ?? 'test-results'}/playwright-failures-output`,
  globalSetup: './failures/global-setup.ts',
});
