import { describe, expect, it } from 'vitest';
import { readEphemeralPortRange, reservePort } from '../../../src/ports/index.js';
import { ConfigError } from '../../../src/errors.js';
import { PORTS_ENV, defineWebServers } from '../../../src/adapters/playwright/index.js';
import { decodePayload, portEnvOf, readyLine } from '../../../src/adapters/playwright/launch-payload.js';
import { quoteForShell } from '../../../src/adapters/playwright/shell-quote.js';

const command = (name: string) => ['node', 'server.mjs', '--port', '{port}', '--name', name];

describe('defineWebServers', () => {
  it('allocates once per runner: a re-import in the same process, or a worker reading the env, gets the same ports', async () => {
    const env: NodeJS.ProcessEnv = {};
    const config = {
      api: { command: command('api'), readiness: { type: 'http' as const, path: '/health' } },
      web: {
        command: [...command('web'), '--api', '{api.url}'],
        env: { API: '{api.url}' },
        dependsOn: ['api'],
        stopSignal: 'SIGINT' as const,
        stopTimeoutMs: 700,
      },
    };
    const startedAt = performance.now();
    const first = defineWebServers(config, { env });
    console.log(
      `defineWebServers: two ports allocated and reserved for this process in ${Math.round(performance.now() - startedAt)} ms (the launcher's --allocate-ports, from src under tsx)`,
    );
    // Reserved like every other port: below the kernel's ephemeral range (no listen(0) can take them),
    // held for this process (the runner) by the child that allocated them: this process cannot reserve them again.
    for (const { port } of Object.values(first.endpoints)) expect(port).toBeLessThan(readEphemeralPortRange().first);
    expect(await Promise.all(Object.values(first.endpoints).map(({ port }) => reservePort(port)))).toEqual([
      undefined,
      undefined,
    ]);
    const again = defineWebServers(config, { env });
    expect(again.endpoints).toEqual(first.endpoints);
    const url = 'http://{host}:{port}';
    expect(JSON.parse(env[PORTS_ENV]!)).toEqual({
      pid: process.pid,
      servers: {
        api: { host: '127.0.0.1', port: first.endpoints.api!.port, url },
        web: { host: '127.0.0.1', port: first.endpoints.web!.port, url },
      },
    });
    // A worker: TEST_WORKER_INDEX set, the handoff written by its parent (the runner).
    const handed = { pid: process.ppid, servers: JSON.parse(env[PORTS_ENV]!).servers };
    const worker = defineWebServers(config, { env: { TEST_WORKER_INDEX: '3', [PORTS_ENV]: JSON.stringify(handed) } });
    expect(worker.endpoints).toEqual(first.endpoints);
    // A worker after a launcher had to take another port: the one it reported (Playwright set it in the runner's env).
    const moved = defineWebServers(config, {
      env: { TEST_WORKER_INDEX: '3', [PORTS_ENV]: JSON.stringify(handed), [portEnvOf('web')]: '4321' },
    });
    expect(moved.endpoints.web).toEqual({
      name: 'web',
      slot: 0,
      host: '127.0.0.1',
      port: 4321,
      url: 'http://127.0.0.1:4321',
    });

    const api = first.endpoints.api!;
    expect(first.endpoints.web!.port).not.toBe(api.port);
    expect(first.url('api')).toBe(`http://127.0.0.1:${api.port}`);
    // Each entry runs our launcher; readiness is the launcher's line, its port in a named group.
    expect(first.webServer).toEqual([
      expect.objectContaining({
        name: 'api',
        timeout: 35_000,
        gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
        reuseExistingServer: false,
      }),
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
    expect(() => first.url('nope')).toThrow(
      expect.objectContaining({ name: 'ServerNotFoundError', code: 'ES_SERVER_NOT_FOUND', server: 'nope' }),
    );
    expect(() => first.url('nope')).toThrow(
      'No server "nope" in the webServer entries of defineWebServers. Known: api, web.',
    );
  });

  it("a worker without its runner's ports fails with what to do", () => {
    const attempt = () => defineWebServers({ api: { command: command('api') } }, { env: { TEST_WORKER_INDEX: '0' } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /server "api": a Playwright worker found no port for it .*Call defineWebServers\(\) at the top level of playwright.config/,
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
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/field `only`: .*only. names "ghost"/);
    expect(attempt).toThrow(/server "mem", field `app`: is an in-process server/);
    expect(attempt).toThrow(/server "custom", field `readiness`: has a custom readiness function/);
  });

  it('takes what the launcher can run: an announced port, any stop signal, setup steps; a log pattern survives the handoff', () => {
    const env: NodeJS.ProcessEnv = {};
    const web = defineWebServers(
      {
        announced: {
          command: command('x'),
          port: 0,
          readiness: /port (?<port>\d+)/i,
          stopSignal: 'SIGHUP',
          setup: [['true']],
        },
      },
      { env },
    );
    expect(web.endpoints.announced?.port).toBe(0);
    const payload = decodePayload(web.webServer[0]!.command.split(' ')[3]!);
    expect(payload.preferredPort).toBeUndefined();
    expect(payload.spec.readiness).toEqual(/port (?<port>\d+)/i);
  });

  it("hands an http probe's statuses to the launcher, whose startServers probes with them", () => {
    const readiness = { type: 'http' as const, path: '/missing', statuses: [404], insecure: true };
    // A fixed port: nothing to allocate, no child process.
    const web = defineWebServers({ api: { command: command('api'), port: 40_123, readiness } }, { env: {} });
    expect(decodePayload(web.webServer[0]!.command.split(' ')[3]!).spec.readiness).toEqual(readiness);
  });

  it('names the field of a dependency left out of the webServer entries', () => {
    const attempt = () =>
      defineWebServers(
        { api: { command: command('api') }, web: { command: command('web'), dependsOn: ['api'] } },
        { only: ['web'], env: {} },
      );
    expect(attempt).toThrow(
      /server "web", field `dependsOn`: depends on "api", which is not among the webServer entries: add it to defineWebServers's `only`/,
    );
  });

  it('a host that is not an address of this machine is a ConfigError naming the server and `host`', () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a local interface.
    const attempt = () => defineWebServers({ api: { command: command('api'), host: '192.0.2.1' } }, { env: {} });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /server "api", field `host`: "192.0.2.1" is not an address of this machine \(listen EADDRNOTAVAIL/,
    );
  });

  it('quotes for the shell Playwright runs the command with', () => {
    expect(quoteForShell(['node', 'a b.js', "it's", '$HOME', '--x=1'])).toBe(`node 'a b.js' 'it'\\''s' '$HOME' --x=1`);
  });
});
