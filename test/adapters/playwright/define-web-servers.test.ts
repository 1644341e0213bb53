import { describe, expect, it } from 'vitest';
import { PORTS_ENV, defineWebServers } from '../../../src/adapters/playwright/index.js';
import { quoteForShell } from '../../../src/adapters/playwright/shell-quote.js';

const command = (name: string) => ['node', 'server.mjs', '--port', '{port}', '--name', name];

describe('defineWebServers', () => {
  it('allocates once per runner: a re-import in the same process, or a worker reading the env, gets the same ports', () => {
    const env: NodeJS.ProcessEnv = {};
    const config = {
      api: { command: command('api'), readiness: { type: 'http' as const, path: '/health' } },
      web: { command: [...command('web'), '--api', '{api.url}'], env: { API: '{api.url}' }, dependsOn: ['api'], stopSignal: 'SIGINT' as const, stopTimeoutMs: 700 },
    };
    const first = defineWebServers(config, { env });
    const again = defineWebServers(config, { env });
    expect(again.endpoints).toEqual(first.endpoints);
    expect(JSON.parse(env[PORTS_ENV]!)).toEqual({ pid: process.pid, servers: { api: { host: '127.0.0.1', port: first.endpoints.api!.port }, web: { host: '127.0.0.1', port: first.endpoints.web!.port } } });
    // A worker: TEST_WORKER_INDEX set, the handoff written by its parent (the runner).
    const worker = defineWebServers(config, { env: { TEST_WORKER_INDEX: '3', [PORTS_ENV]: JSON.stringify({ pid: process.ppid, servers: JSON.parse(env[PORTS_ENV]!).servers }) } });
    expect(worker.endpoints).toEqual(first.endpoints);

    const api = first.endpoints.api!;
    expect(first.endpoints.web!.port).not.toBe(api.port);
    expect(first.url('api')).toBe(`http://127.0.0.1:${api.port}`);
    expect(first.webServer).toEqual([
      expect.objectContaining({ name: 'api', command: `node server.mjs --port ${api.port} --name api`, url: `${api.url}/health`, timeout: 30_000, gracefulShutdown: { signal: 'SIGTERM', timeout: 5000 } }),
      expect.objectContaining({
        name: 'web',
        command: `node server.mjs --port ${first.endpoints.web!.port} --name web --api ${api.url}`,
        env: { PYTHONUNBUFFERED: '1', API: api.url },
        port: first.endpoints.web!.port,
        gracefulShutdown: { signal: 'SIGINT', timeout: 700 },
      }),
    ]);
    expect(() => first.url('nope')).toThrow('No webServer "nope"; these are: api, web.');
  });

  it('a worker without its runner\'s ports fails with what to do', () => {
    expect(() => defineWebServers({ api: { command: command('api') } }, { env: { TEST_WORKER_INDEX: '0' } })).toThrow(
      /Playwright worker found no port for api .*Call defineWebServers\(\) at the top level of playwright.config/,
    );
  });

  it('rejects, all at once, what Playwright cannot run', () => {
    const attempt = () =>
      defineWebServers(
        {
          mem: { app: () => () => undefined },
          announced: { command: command('x'), port: 0, readiness: /port (?<port>\d+)/ },
          custom: { command: command('y'), readiness: () => true, stopSignal: 'SIGHUP' },
          dependent: { command: command('z'), dependsOn: ['mem'] },
        },
        { only: ['mem', 'announced', 'custom', 'dependent', 'ghost'], env: {} },
      );
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(/only. names "ghost"/);
    expect(attempt).toThrow(/"mem" is an in-process server/);
    expect(attempt).toThrow(/"announced" has `port: 0`/);
    expect(attempt).toThrow(/"custom" has a custom readiness function/);
    expect(attempt).toThrow(/"custom" has `stopSignal: 'SIGHUP'`/);
  });

  it('quotes for the shell Playwright runs the command with', () => {
    expect(quoteForShell(['node', 'a b.js', "it's", '$HOME', '--x=1'])).toBe(`node 'a b.js' 'it'\\''s' '$HOME' --x=1`);
  });
});
