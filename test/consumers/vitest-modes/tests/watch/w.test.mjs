// Run by watch-driver.mjs: reads the servers config the driver edits, and records what it saw.
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inject, test as base } from 'vitest';
import { withServers } from 'ephemeral-servers/vitest';

const servers = (await import(/* @vite-ignore */ pathToFileURL(process.env.EPHEMERAL_SERVERS_CONFIG).href)).default;
const test = withServers(base, servers);

const info = async (endpoint) => (await fetch(`${endpoint.url}/info`)).json();

test('sees the current servers, and inject agrees', async ({ shared, other, api }) => {
  const provided = inject('ephemeral-servers');
  assert.deepEqual(provided.endpoints.shared, shared, 'inject gives the restarted server');
  const seen = { shared: await info(shared), other: await info(other), api: await info(api) };
  assert.equal(seen.api.sharedUrl, shared.url, 'the worker-scoped server follows its restarted dependency');
  appendFileSync(join(process.env.ES_WATCH_DIR, 'seen.jsonl'), `${JSON.stringify(seen)}\n`);
});
