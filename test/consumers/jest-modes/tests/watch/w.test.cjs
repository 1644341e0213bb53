// Run by watch-driver.mjs: records what the servers of this rerun say about themselves.
const { appendFileSync } = require('node:fs');
const { join } = require('node:path');

const info = async (endpoint) => (await fetch(`${endpoint.url}/info`)).json();

test('sees the servers of this run', async () => {
  // The global the test environment sets: this run's endpoints, by name.
  const { shared, api } = globalThis.servers;
  const seen = { shared: await info(shared), api: await info(api) };
  expect(seen.api.sharedUrl).toBe(shared.url);
  appendFileSync(join(process.env.ES_WATCH_SEEN, 'seen.jsonl'), `${JSON.stringify(seen)}\n`);
});
