import { test as base, expect } from '@playwright/test';
import { workerServersFixture, type WorkerServers } from 'ephemeral-servers/playwright';

const test = base.extend<{}, { servers: WorkerServers }>({ servers: workerServersFixture() });

test('the webServer at baseURL, started from the config directory', async ({ request, servers }) => {
  const site = await request.get('/info');
  expect((await site.json()).name).toBe('site');
  expect(servers.getEndpoint('site').url).toBe(new URL('/', site.url()).href.replace(/\/$/, ''));
});

test('a port taken since the runner allocated it: the launcher took another, workers see it', async ({
  request,
  servers,
}) => {
  const busy = servers.getEndpoint('busy');
  expect(busy.port).not.toBe(Number(process.env.ES_MODES_HELD));
  expect((await (await request.get(`${busy.url}/info`)).json()).name).toBe('busy');
  expect(() => servers.getEndpoint('nope')).toThrow(expect.objectContaining({ name: 'ServerNotFoundError' }));
});
