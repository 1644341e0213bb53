import type { FullConfig, WorkerInfo } from '@playwright/test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createGlobalSetup } from '../../../src/adapters/playwright/global-setup.js';
import { PORTS_ENV } from '../../../src/adapters/playwright/port-handoff.js';
import { workerServersFixture, type WorkerServers } from '../../../src/adapters/playwright/worker-servers-fixture.js';
import { STATE_ENV } from '../../../src/state/state-path.js';

const web = { command: ['node', 'server.mjs', '--port', '{port}'] };
const playwrightConfig = { configFile: undefined, rootDir: process.cwd() } as unknown as FullConfig;

/** What `defineWebServers` leaves in the runner's environment for the servers it handed to Playwright. */
function handOff(names: string[]): void {
  vi.stubEnv(
    PORTS_ENV,
    JSON.stringify({
      pid: process.pid,
      servers: Object.fromEntries(
        names.map((name, i) => [name, { host: '127.0.0.1', port: 40_100 + i, url: 'http://{host}:{port}' }]),
      ),
    }),
  );
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Playwright global setup and worker fixture around webServer entries', () => {
  it('every server handed to webServer: no run (none to hold), and the worker fixture gives the webServers', async () => {
    vi.stubEnv(STATE_ENV, undefined);
    handOff(['web']);
    const teardown = await createGlobalSetup({ config: { web } })(playwrightConfig);
    expect(process.env[STATE_ENV]).toBeUndefined();
    await teardown();

    const [fixture] = workerServersFixture();
    let seen: WorkerServers | undefined;
    await fixture({}, async (servers) => void (seen = servers), {
      parallelIndex: 1,
      config: playwrightConfig,
    } as unknown as WorkerInfo);
    expect(seen?.slot).toBe(2);
    expect(seen?.getEndpoint('web')).toEqual({
      name: 'web',
      slot: 0,
      host: '127.0.0.1',
      port: 40_100,
      url: 'http://127.0.0.1:40100',
    });
    expect(() => seen?.getEndpoint('api')).toThrow(
      expect.objectContaining({ name: 'ServerNotFoundError', code: 'ES_SERVER_NOT_FOUND', server: 'api' }),
    );
  });

  it('a server of the run that depends on a webServer is a ConfigError naming it and `dependsOn`', async () => {
    handOff(['web']);
    const setup = createGlobalSetup({ config: { web, api: { command: ['node', 'api.mjs'], dependsOn: ['web'] } } });
    await expect(setup(playwrightConfig)).rejects.toMatchObject({
      name: 'ConfigError',
      issues: [
        {
          server: 'api',
          path: 'dependsOn',
          message: expect.stringContaining(`depends on "web", which Playwright's webServer runs`),
        },
      ],
    });
  });
});
