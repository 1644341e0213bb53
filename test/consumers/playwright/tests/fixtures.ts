import { test as base, expect } from '@playwright/test';
import { workerServersFixture, type WorkerServers } from 'ephemeral-servers/playwright';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { visitServers } = require('../../contract/visit.cjs');

export const test = base.extend<{ visit: (file: string) => Promise<void> }, { servers: WorkerServers }>({
  servers: workerServersFixture(),
  visit: async ({ servers, request }, use, testInfo) => {
    await use(async (file) => {
      expect(servers.slot).toBe(testInfo.parallelIndex + 1);
      await visitServers({ file, slot: Number(process.env.TEST_PARALLEL_INDEX) + 1, endpoints: servers.endpoints });
      // The webServer at baseURL (no browser: the request fixture).
      const site = await request.get('/info');
      expect((await site.json()).name).toBe('site');
    });
  },
});
