import { describe, expect, it } from 'vitest';
import { PORTS_ENV, defineWebServers } from '../../../src/adapters/playwright/index.js';
import { decodePayload, portEnvOf, readyLine } from '../../../src/adapters/playwright/launch-payload.js';
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
    const url = 'http://{host}:{port}';
    expect(JSON.parse(env[PORTS_ENV]!)).toEqual({
      pid: process.pid,
      servers: { api: { host: '127.0.0.1', port: first.endpoints.api!.port, url }, web: { host: '127.0.0.1', port: first.endpoints.web!.port, url } },
    });
    // A worker: TEST_WORKER_INDEX set, the handoff written by its parent (the runner).
    const handed = { pid: process.ppid, servers: JSON.parse(env[PORTS_ENV]!).servers };
    const worker = defineWebServers(config, { env: { TEST_WORKER_INDEX: '3', [PORTS_ENV]: JSON.stringify(handed) } });
    expect(worker.endpoints).toEqual(first.endpoints);
    // A worker after a launcher had to take another port: the one it reported (Playwright set it in the runner's env).
    const moved = defineWebServers(config, { env: { TEST_WORKER_INDEX: '3', [PORTS_ENV]: JSON.stringify(handed), [portEnvOf('web')]: '4321' } });
    expect(moved.endpoints.web).toEqual({ name: 'web', slot: 0, host: '127.0.0.1', port: 4321, url: 'http://127.0.0.1:4321' });

    const api = first.endpoints.api!;
    expect(first.endpoints.web!.port).not.toBe(api.port);
    expect(first.url('api')).toBe(`http://127.0.0.1:${api.port}`);
    // Each entry runs our launcher; readiness is the launcher's line, its port in a named group.
    expect(first.webServer).toEqual([
      expect.objectContaining({ name: 'api', timeout: 35_000, gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 }, reuseExistingServer: false }),
      expect.objectContaining({ name: 'web', gracefulShutdown: { signal: 'SIGTERM', timeout: 5_700 } }),
    ]);
    for (const entry of first.webServer) {
      expect(entry).not.toHaveProperty('url');
      expect(entry).not.toHaveProperty('port');
      expect(entry).not.toHaveProperty('cwd');
    }
    const [, launcher, name, encoded] = first.webServer[1]!.command.split(' ');
    expect(launcher).toMatch(/playwright-launcher\.js$/);
    expect(name).toBe('web');
    expect(decodePayload(encoded!)).toEqual({
      name: 'web',
      spec: config.web,
      preferredPort: first.endpoints.web!.port,
      portEnv: 'EPHEMERAL_SERVERS_PW_PORT_WEB',
      dependencies: { api: { host: '127.0.0.1', url, portEnv: 'EPHEMERAL_SERVERS_PW_PORT_API' } },
    });
    const match = first.webServer[1]!.wait!.stdout!.exec(`noise\n${readyLine('web', 4321, 'http://127.0.0.1:4321')}\n`);
    expect(match?.groups).toEqual({ EPHEMERAL_SERVERS_PW_PORT_WEB: '4321' });
    expect(() => first.url('nope')).toThrow('No webServer "nope"; these are: api, web.');
  });

  it('a worker without its runner\'s ports fails with what to do', () => {
    expect(() => defineWebServers({ api: { command: command('api') } }, { env: { TEST_WORKER_INDEX: '0' } })).toThrow(
      /Playwright worker found no port for api .*Call defineWebServers\(\) at the top level of playwright.config/,
    );
  });

  it('rejects, all at once, what cannot be handed to the launcher', () => {
    const attempt = () =>
      defineWebServers(
        {
          mem: { app: () => () => undefined },
          custom: { command: command('y'), readiness: () => true },
          dependent: { command: command('z'), dependsOn: ['mem'] },
        },
        { only: ['mem', 'custom', 'dependent', 'ghost'], env: {} },
      );
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(/only. names "ghost"/);
    expect(attempt).toThrow(/"mem" is an in-process server/);
    expect(attempt).toThrow(/"custom" has a custom readiness function/);
  });

  it('takes what the launcher can run: an announced port, any stop signal, setup steps; a log pattern survives the handoff', () => {
    const env: NodeJS.ProcessEnv = {};
    const web = defineWebServers(
      { announced: { command: command('x'), port: 0, readiness: /port (?<port>\d+)/i, stopSignal: 'SIGHUP', setup: [['true']] } },
      { env },
    );
    expect(web.endpoints.announced?.port).toBe(0);
    const payload = decodePayload(web.webServer[0]!.command.split(' ')[3]!);
    expect(payload.preferredPort).toBeUndefined();
    expect(payload.spec.readiness).toEqual(/port (?<port>\d+)/i);
  });

  it('quotes for the shell Playwright runs the command with', () => {
    expect(quoteForShell(['node', 'a b.js', "it's", '$HOME', '--x=1'])).toBe(`node 'a b.js' 'it'\\''s' '$HOME' --x=1`);
  });
});
