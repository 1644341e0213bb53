// The Playwright adapter (dist/playwright.d.ts), used as a playwright.config and a fixtures file would.
import { defineConfig, test as base, type FullConfig } from '@playwright/test';
import * as playwright from 'ephemeral-servers/playwright';
import globalSetupDefault, {
  createGlobalSetup,
  defineWebServers,
  globalSetup,
  workerServersFixture,
  type Endpoint,
  type WebServers,
  type WorkerServers,
} from 'ephemeral-servers/playwright';

const web: WebServers = defineWebServers(
  { web: { command: ['node', 'web.js', '--port', '{port}'], readiness: { type: 'http', path: '/health' } } },
  { only: ['web'], stdout: 'pipe' },
);
export const config = defineConfig({
  globalSetup: 'ephemeral-servers/playwright',
  webServer: web.webServer,
  use: { baseURL: web.url('web') },
});
const port: number = web.endpoints['web']!.port;

export const test = base.extend<{ apiUrl: string }, { servers: WorkerServers }>({
  servers: workerServersFixture({ only: ['api'] }),
  apiUrl: async ({ servers }, use) => {
    const api: Endpoint = servers.getEndpoint('api');
    const slot: number = servers.slot;
    await use(`${api.url}?slot=${slot}&web=${port}`);
  },
});

// The default export is the global setup (what `globalSetup: 'ephemeral-servers/playwright'` calls).
const setups: ((config: FullConfig) => Promise<() => Promise<void>>)[] = [
  globalSetupDefault,
  globalSetup,
  createGlobalSetup({ configFile: './servers.config.ts' }),
];
export const setupCount = setups.length;

export type PlaywrightApi = typeof playwright;
// @ts-expect-error: the subpath has no such export (proves its declarations resolve, not `any`)
export const missing = playwright.noSuchExport;
// @ts-expect-error: `only` lists server names
defineWebServers({}, { only: 'web' });
