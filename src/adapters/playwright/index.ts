/**
 * `ephemeral-servers/playwright`: Playwright `webServer` entries on free ports that stay the same in
 * every worker, a global setup that owns the run, and a worker-scoped fixture for per-worker servers.
 * This module's default export is the global setup, so that `globalSetup: 'ephemeral-servers/playwright'`
 * works. See docs/playwright.md.
 */
import { globalSetup } from './global-setup.js';

export {
  defineWebServers,
  type DefineWebServersOptions,
  type WebServerEntry,
  type WebServers,
} from './define-web-servers.js';
export { createGlobalSetup, globalSetup, type GlobalSetupOptions, type PlaywrightGlobalSetup } from './global-setup.js';
export { PORTS_ENV } from './port-handoff.js';
export {
  serverReportFixture,
  workerServersFixture,
  type WorkerServers,
  type WorkerServersOptions,
} from './worker-servers-fixture.js';
export type { Endpoint } from '../../endpoint.js';
export default globalSetup;
