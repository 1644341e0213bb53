/**
 * Recipe: Redis (docs/recipes.md#redis), the real server (Debian's `redis-server` package, which
 * .ci/run installs), queried with the real client (npm `redis`, node-redis). No skip: a missing
 * redis-server fails.
 */
import { createClient } from 'redis';
import { afterEach, expect, it } from 'vitest';
import { defineServers } from '../../src/index.js';
import { startRecipe, tearDownAndExpectNothingLeft, tearDownLeftoverRuns } from './helpers.js';

afterEach(tearDownLeftoverRuns);

const servers = defineServers({
  redis: {
    command: [
      'redis-server',
      '--port',
      '{port}',
      '--bind',
      '{host}',
      '--save',
      '', // no RDB snapshots
      '--appendonly',
      'no',
      '--dir',
      '{tmpDir}', // whatever it writes anyway goes in the scratch directory
    ],
    url: 'redis://{host}:{port}/0',
    // readiness: the default `tcp`; Redis accepts commands once it listens.
  },
});

it('runs redis-server with its files in its scratch directory, queried with node-redis, and leaves nothing', async () => {
  const run = await startRecipe('redis', servers);
  const { redis } = run.owner.endpoints;
  expect(redis?.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\/0$/);
  const { tmpDir } = run.servers.redis!;
  expect(tmpDir).toBeDefined();

  const client = createClient({ url: redis!.url });
  const clientErrors: unknown[] = []; // node-redis needs an 'error' listener; none is expected
  client.on('error', (error: unknown) => clientErrors.push(error));
  await client.connect();
  try {
    await client.set('recipe', 'redis');
    expect(await client.get('recipe')).toBe('redis');
    expect(await client.incr('counter')).toBe(1);
    expect(await client.configGet('dir')).toEqual({ dir: tmpDir });
    expect(await client.configGet('save')).toEqual({ save: '' });
  } finally {
    await client.close();
  }
  expect(clientErrors).toEqual([]);

  await tearDownAndExpectNothingLeft(run);
});
