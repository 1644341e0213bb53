/**
 * `ephemeral-servers/vitest`: Vitest fixtures and helpers. The global setup lives in
 * `ephemeral-servers/vitest/setup`; see docs/vitest.md.
 */
export {
  PROVIDE_KEY,
  type ProvidedServers,
  type Register,
  type RegisteredServers,
  type RunServerName,
  type ServerName,
  type WorkerServerName,
} from './types.js';
export {
  serverFixtures,
  withServers,
  SERVERS_FIXTURE,
  type ServerFixtures,
  type ServerFixtureValues,
  type WorkerFixture,
} from './fixtures.js';
export type { WorkerServers } from './worker-servers.js';
export { getEndpoint } from './get-endpoint.js';
export { DEBUG_ENV } from './debug.js';
export type { Endpoint } from '../../endpoint.js';
