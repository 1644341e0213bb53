import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, request } from '../../../src/adapters/supertest.js';
import { serverFixtures } from '../../../src/adapters/vitest/index.js';
import { defineServers, ServerNotFoundError, startServers, STATE_ENV, type ServersHandle } from '../../../src/index.js';

function createApp(): express.Express {
  const app = express();
  app.get('/hello', (_req, res) => {
    res.send('hello');
  });
  app.post('/login', (_req, res) => {
    res.cookie('session', 'abc').status(204).end();
  });
  app.get('/me', (req, res) => {
    res.status(req.headers.cookie?.includes('session=abc') ? 200 : 401).end();
  });
  return app;
}

let servers: ServersHandle;
beforeAll(async () => {
  // No state file given: startServers creates a run and exports EPHEMERAL_SERVERS_STATE, as a global setup does.
  servers = await startServers(defineServers({ api: { app: createApp } }), { slot: 1 });
});
afterAll(async () => {
  await servers.stop();
});

describe('ephemeral-servers/supertest', () => {
  it('binds supertest to a server by name, endpoint or URL', async () => {
    expect(process.env[STATE_ENV]).toBe(servers.run.stateFile);
    const api = servers.getEndpoint('api');
    await request('api').get('/hello').expect(200, 'hello');
    await request(api).get('/hello').expect(200, 'hello');
    await request(api.url).get('/hello').expect(200, 'hello');
  });

  it('keeps cookies with agent(), not with request()', async () => {
    const session = agent('api');
    await session.post('/login').expect(204);
    await session.get('/me').expect(200);
    await request('api').get('/me').expect(401);
  });

  it('names the running servers when the name is unknown, and rejects other targets', () => {
    expect(() => request('nope')).toThrow(ServerNotFoundError);
    expect(() => request('nope')).toThrow(/Known: api@0/);
    expect(() => request(42 as never)).toThrow(TypeError);
  });
});

describe('serverFixtures', () => {
  it('gives one worker-scoped fixture per server, plus `servers`, and the automatic `serverReport`', () => {
    const { serverReport, ...fixtures } = serverFixtures(
      defineServers({ api: { app: createApp }, db: { command: ['db'], scope: 'worker' } }),
    );
    expect(Object.keys(fixtures).sort()).toEqual(['api', 'db', 'servers']);
    for (const [, options] of Object.values(fixtures)) expect(options).toEqual({ scope: 'worker' });
    // Test-scoped, set up for every test: it reports on the servers when the test fails.
    expect(serverReport[1]).toEqual({ auto: true });
  });

  it('refuses a server named like a property of the test context', () => {
    expect(() => serverFixtures(defineServers({ task: { app: createApp }, servers: { app: createApp } }))).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        issues: [expect.objectContaining({ server: 'task' }), expect.objectContaining({ server: 'servers' })],
      }),
    );
    expect(() => serverFixtures(defineServers({ servers: { app: createApp } }))).toThrow(
      /server "servers": the name `servers` clashes/,
    );
  });
});
