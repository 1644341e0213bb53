// The Vitest adapter (dist/vitest*.d.ts).
import { test as base } from 'vitest';
import { withServers, getEndpoint, PROVIDE_KEY, type ServerFixtureValues } from 'ephemeral-servers/vitest';
import setup, { createGlobalSetup, type VitestGlobalSetup } from 'ephemeral-servers/vitest/setup';
import { defineServers, type Endpoint } from 'ephemeral-servers';

const servers = defineServers({
  search: { command: ['node', 'search.js', '{port}'] },
  api: { scope: 'worker', app: () => (_req, res) => res.end('ok') },
});

export const test = withServers(base, servers);
test('fixtures are typed', ({ api }) => {
  const endpoint: Endpoint = api;
  return void endpoint.url;
});
export const values: keyof ServerFixtureValues<typeof servers> = 'api';
export const setups: VitestGlobalSetup[] = [setup, createGlobalSetup({ configFile: 'servers.config.ts' })];
export const key: string = PROVIDE_KEY;
export const lookup: () => Endpoint = () => getEndpoint('search');
test('the servers fixture: a sync lookup, an async start', async ({ servers }) => {
  const started: Endpoint = await servers.start('api');
  const looked: Endpoint = servers.getEndpoint('api');
  return void [started.url, looked.url];
});
// @ts-expect-error: a server name the config does not have
test('unknown fixture', ({ nope }) => void nope);
