import { appendFileSync } from 'node:fs';
import { test as base, expect } from '@playwright/test';
import { workerServersFixture, type WorkerServers } from 'ephemeral-servers/playwright';

export const test = base.extend<{ record: (fields: object) => void }, { servers: WorkerServers }>({
  servers: workerServersFixture(),
  record: async ({}, use, testInfo) => {
    await use((fields) => appendFileSync(process.env.ES_TEST_RECORD_FILE!, `${JSON.stringify({ test: testInfo.title, pid: process.pid, ...fields })}\n`));
  },
});
export { expect };
