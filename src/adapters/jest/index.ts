/**
 * `ephemeral-servers/jest`: what Jest test files import. The servers themselves are run by
 * `ephemeral-servers/jest/global-setup`, `/jest/global-teardown` and `/jest/environment`.
 *
 * This module is evaluated again inside every test file's VM context (Jest's module registry is per
 * file), so it imports nothing heavy: it reads what the test environment put on the global. Only the
 * fallback for other test environments needs the state file API (and zod); it is loaded with Node's
 * own `require`, outside Jest's registry, so a worker pays for it once, not once per test file
 * (measured: 0.5 to 1 s per file when imported statically, on a loaded 2-core machine).
 */
import { createRequire } from 'node:module';
import type { Endpoint } from '../../endpoint.js';
import { ServerNotFoundError } from '../../errors.js';
import type * as Core from '../../index.js';
import { ENDPOINTS_KEY, type GlobalWithEndpoints } from './constants.js';

export { CONFIG_ENV, ENDPOINTS_KEY, SERVERS_GLOBAL } from './constants.js';
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
  const core = loadCore();
  const slot = jestWorkerSlot(core);
  const endpoints: Record<string, Endpoint> = {};
  for (const entry of Object.values(core.readStateSync().servers)) {
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
 * @throws StateFileError, ServerDeadError when falling back to the state file, as `getEndpointSync`
 *   (the slot being `JEST_WORKER_ID`'s).
 */
export function getServer(name: string): Endpoint {
  const exposed = (globalThis as GlobalWithEndpoints)[ENDPOINTS_KEY];
  if (exposed === undefined) {
    const core = loadCore();
    const runScoped = core.readStateSync().servers[core.stateKey(name, 0)] !== undefined;
    return core.getEndpointSync(name, { slot: runScoped ? 0 : jestWorkerSlot(core) });
  }
  const endpoint = exposed[name];
  if (endpoint === undefined) throw new ServerNotFoundError(name, undefined, Object.keys(exposed), 'the Jest test environment');
  return endpoint;
}

/** The core API, through Node's `require` (this package's CommonJS build), bypassing Jest's registry. */
function loadCore(): typeof Core {
  return createRequire(import.meta.url)('ephemeral-servers') as typeof Core;
}

/** This test's Jest worker slot: `JEST_WORKER_ID` only (a Jest run from a Vitest worker inherits `VITEST_POOL_ID`). */
function jestWorkerSlot(core: typeof Core): number | undefined {
  return core.detectWorkerSlot({ JEST_WORKER_ID: process.env.JEST_WORKER_ID });
}
