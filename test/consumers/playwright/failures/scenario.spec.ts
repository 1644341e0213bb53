// The failure scenario (../../contract/failures.cjs) through the worker fixture and serverReportFixture.
import { test as base } from '@playwright/test';
import { serverReportFixture, workerServersFixture, type WorkerServers } from 'ephemeral-servers/playwright';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const scenario = require('../../contract/failures.cjs');

const test = base.extend<{ serverReport: void }, { servers: WorkerServers }>({
  servers: workerServersFixture(),
  serverReport: serverReportFixture(),
});

test('1 passes', async ({ servers }) => scenario.passing(servers.getEndpoint('steady'), 1));
test('2 victim dies', async ({ servers }) => scenario.victimDies(servers.getEndpoint('victim')));
test('3 live fails', async ({ servers }) => scenario.liveFails(servers.getEndpoint('steady')));
test('4 passes', async ({ servers }) => scenario.passing(servers.getEndpoint('steady'), 4));
