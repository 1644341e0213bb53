// The failure-mode contract (../../contract/hold.cjs) through the worker fixture.
import { test as base } from '@playwright/test';
import { workerServersFixture, type WorkerServers } from 'ephemeral-servers/playwright';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { holdInsideTest } = require('../../contract/hold.cjs');

const test = base.extend<object, { servers: WorkerServers }>({ servers: workerServersFixture() });

test('holds inside a test', async ({ servers }) => {
  test.setTimeout(30_000);
  await holdInsideTest({ c: servers.endpoints.c, w: servers.endpoints.w });
});
