import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defineServers, startServers, STATE_ENV, type ServersHandle } from '../../src/index.js';
import { readState } from '../../src/state/index.js';
import { isLive } from '../helpers/processes.js';

const serverScript = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));
const handles: ServersHandle[] = [];
afterEach(async () => {
  await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
});

async function start(...args: Parameters<typeof startServers>): Promise<ServersHandle> {
  const handle = await startServers(...args);
  handles.push(handle);
  return handle;
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('startServers', () => {
  it('starts a command server on an allocated port, records it, and stops it', async () => {
    const servers = await start(
      defineServers({
        api: { command: ['node', serverScript, '--port', '{port}', '--name', 'api'], readiness: { type: 'http' } },
      }),
    );
    const api = servers.getEndpoint('api');
    expect(api).toMatchObject({ name: 'api', slot: 0, host: '127.0.0.1' });
    expect(api.url).toBe(`http://127.0.0.1:${api.port}`);
    expect((await get(api.url)).body).toBe('hello from api');

    const state = await readState(servers.run.stateFile);
    const entry = state.servers['api@0'];
    expect(entry).toMatchObject({ name: 'api', status: 'running', kind: 'command', endpoint: api });
    expect(entry?.pgid).toBe(entry?.pid);
    expect(isLive(entry!.pid)).toBe(true);
    expect(process.env[STATE_ENV]).toBe(servers.run.stateFile);

    await servers.stop();
    expect(isLive(entry!.pid)).toBe(false);
    expect(existsSync(servers.run.runDir)).toBe(false);
    expect(process.env[STATE_ENV]).toBeUndefined();
    await servers.stop(); // idempotent
  });

  it('learns the port a command server announces when it binds port 0', async () => {
    const servers = await start(
      defineServers({
        web: {
          command: ['node', serverScript, '--port', '0', '--announce'],
          port: 0,
          readiness: [{ type: 'log', pattern: /listening on http:\/\/[^:]+:(?<port>\d+)/ }, 'http'],
        },
      }),
    );
    const web = servers.getEndpoint('web');
    expect(web.port).toBeGreaterThan(0);
    expect((await get(web.url)).status).toBe(200);
  });

  it('never matches a log line of an earlier instance of the same server in the same run', async () => {
    const owner = await start(defineServers({ anchor: { app: () => (_req, res) => res.end() } }));
    const web = defineServers({
      web: {
        command: ['node', serverScript, '--port', '0', '--announce', '--delay-ms', '200'],
        port: 0,
        readiness: /listening on http:\/\/[^:]+:(?<port>\d+)/,
      },
    });
    const first = await startServers(web, { stateFile: owner.run.stateFile });
    const firstPort = first.getEndpoint('web').port;
    await first.stop();
    // Same name, same slot, same log file: the first instance's "listening" line is already in it.
    const second = await startServers(web, { stateFile: owner.run.stateFile });
    handles.push(second);
    expect(second.getEndpoint('web').port).not.toBe(firstPort);
    expect((await get(second.getEndpoint('web').url)).status).toBe(200);
  });

  it('serves IPv6 hosts with bracketed URLs', async () => {
    const servers = await start(
      defineServers({
        v6: { command: ['node', serverScript, '--port', '{port}', '--host', '{host}'], host: '::1', readiness: 'http' },
      }),
    );
    expect(servers.getEndpoint('v6').url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await get(servers.getEndpoint('v6').url)).status).toBe(200);
  });

  it('starts dependencies first and passes their endpoints through placeholders; inline JavaScript braces stay as written', async () => {
    // An inline script with braces (arrow function body, object literal, template literal): only `{host}` is a placeholder.
    const script =
      "require('http').createServer((q, r) => { r.end(JSON.stringify({ port: +process.argv[1], path: `${q.url}` })) }).listen(+process.argv[1], '{host}')";
    const servers = await start(
      defineServers({
        db: { command: ['node', '-e', script, '{port}'] },
        api: {
          command: ['node', serverScript, '--port', '{port}', '--name', 'api', '--env-echo', 'DB_URL'],
          env: { DB_URL: '{db.url}/data' },
          dependsOn: ['db'],
          readiness: 'http',
        },
      }),
    );
    const body = (await get(`${servers.getEndpoint('api').url}/env`)).body;
    expect(body).toBe(`${servers.getEndpoint('db').url}/data`);
    expect(JSON.parse((await get(`${servers.getEndpoint('db').url}/x`)).body)).toEqual({
      port: servers.getEndpoint('db').port,
      path: '/x',
    });
    const state = await readState(servers.run.stateFile);
    expect(state.servers['api@0']?.dependsOn).toEqual(['db@0']);
  });

  it('starts in-process servers on port 0 from a request listener, an http.Server and an express app', async () => {
    const { createServer } = await import('node:http');
    const { default: express } = await import('express');
    const servers = await start(
      defineServers({
        listener: { app: () => (_req, res) => res.end('listener') },
        server: { app: () => createServer((_req, res) => res.end('server')) },
        express: {
          app: () => {
            const app = express();
            app.get('/', (_req, res) => {
              res.send('express');
            });
            return app;
          },
        },
      }),
    );
    for (const name of ['listener', 'server', 'express']) {
      expect((await get(servers.getEndpoint(name).url)).body).toBe(name);
    }
    const state = await readState(servers.run.stateFile);
    expect(state.servers['express@0']).toMatchObject({ kind: 'in-process', pid: process.pid });
  });

  it('keeps the log of a command server in the run directory', async () => {
    const servers = await start(
      defineServers({ api: { command: ['node', serverScript, '--port', '{port}', '--name', 'api'] } }),
    );
    const state = await readState(servers.run.stateFile);
    const logPath = state.servers['api@0']?.logPath;
    expect(logPath).toBeDefined();
    expect(readFileSync(logPath!, 'utf8')).toContain('api booting');
  });

  it('joins an existing run through the state file and leaves the run directory to its owner', async () => {
    const owner = await start(defineServers({ a: { command: ['node', serverScript, '--port', '{port}'] } }));
    const joined = await startServers(defineServers({ b: { command: ['node', serverScript, '--port', '{port}'] } }), {
      stateFile: owner.run.stateFile,
    });
    expect(Object.keys((await readState(owner.run.stateFile)).servers).sort()).toEqual(['a@0', 'b@0']);
    await joined.stop();
    expect(Object.keys((await readState(owner.run.stateFile)).servers)).toEqual(['a@0']);
    expect(existsSync(owner.run.runDir)).toBe(true);
  });

  it('supports `await using`', async () => {
    let pid: number;
    {
      await using servers = await startServers(
        defineServers({ api: { command: ['node', serverScript, '--port', '{port}'] } }),
      );
      pid = (await readState(servers.run.stateFile)).servers['api@0']!.pid;
      expect(isLive(pid)).toBe(true);
    }
    expect(isLive(pid)).toBe(false);
  });
});
