/**
 * `ephemeral-servers/jest`: what Jest test files import. The servers themselves are run by
 * `ephemeral-servers/jest/global-setup`, `/jest/global-teardown` and `/jest/environment`.
 *
 * This module is loaded inside every test file's VM context, so it stays small: it only reads what the
 * test environment put on the global, and falls back to the run's state file.
 */
import type { Endpoint } from '../../endpoint.js';
import { getEndpointSync } from '../../state/get-endpoint.js';
import { ENDPOINTS_KEY, type GlobalWithEndpoints } from './exposed-endpoints.js';
import { ServerNotFoundError } from '../../errors.js';
import { readStateSync } from '../../state/state-file.js';
import { resolveStatePath } from '../../state/state-path.js';
import { detectWorkerSlot } from '../../state/worker-slot.js';

export { CONFIG_ENV } from './config-file.js';
export { ENDPOINTS_KEY, SERVERS_GLOBAL } from './exposed-endpoints.js';
export type { Endpoint } from '../../endpoint.js';

/**
 * Every endpoint this test file can use, by server name: the `run`-scoped servers and this worker
 * slot's (`JEST_WORKER_ID`) `worker`-scoped ones. Under `ephemeral-servers/jest/environment` it is the
 * same frozen object as the global `servers`; under any other test environment it is read from the
 * run's state file (see {@link getServer}).
 *
 * @throws StateFileError when falling back to the state file and it is missing (no global setup),
 *   corrupt, foreign or newer, as `readStateSync`.
 */
export function getServers(): Readonly<Record<string, Endpoint>> {
  const exposed = (globalThis as GlobalWithEndpoints)[ENDPOINTS_KEY];
  if (exposed !== undefined) return exposed;
  const slot = detectWorkerSlot({ JEST_WORKER_ID: process.env.JEST_WORKER_ID });
  const endpoints: Record<string, Endpoint> = {};
  for (const entry of Object.values(readStateSync(resolveStatePath()).servers)) {
    if (entry.status === 'running' && (entry.endpoint.slot === 0 || entry.endpoint.slot === slot)) endpoints[entry.endpoint.name] = { ...entry.endpoint };
  }
  return Object.freeze(endpoints);
}

/**
 * The endpoint of server `name` for this test file: the `run`-scoped instance, or this worker slot's
 * (`JEST_WORKER_ID`) instance of a `worker`-scoped server.
 *
 * Under `ephemeral-servers/jest/environment` it reads what the environment exposed. Under any other
 * test environment (`jsdom`, `node`) it reads the run's state file (`EPHEMERAL_SERVERS_STATE`, set by
 * the global setup), which lists the `run`-scoped servers, and the `worker`-scoped ones only once
 * some test file of this slot started them under our environment.
 *
 * @example
 * ```ts
 * import { getServer } from 'ephemeral-servers/jest';
 * test('health', async () => {
 *   const res = await fetch(`${getServer('api').url}/health`);
 *   expect(res.status).toBe(200);
 * });
 * ```
 * @throws ServerNotFoundError when there is no such server (the message lists the known ones).
 * @throws StateFileError, ServerDeadError when falling back to the state file, as `getEndpointSync`.
 */
export function getServer(name: string): Endpoint {
  const exposed = (globalThis as GlobalWithEndpoints)[ENDPOINTS_KEY];
  if (exposed === undefined) return getEndpointSync(name);
  const endpoint = exposed[name];
  if (endpoint === undefined) throw new ServerNotFoundError(name, undefined, Object.keys(exposed), 'the Jest test environment');
  return endpoint;
}
