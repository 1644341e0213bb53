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

export { ENDPOINTS_KEY, SERVERS_GLOBAL } from './constants.js';
export type { Endpoint } from '../../endpoint.js';

/**
 * The endpoint of server `name` for this test file: the `run`-scoped instance, or this worker slot's
 * (`JEST_WORKER_ID`) instance of a `worker`-scoped server. The package's one lookup (`getEndpoint` of
 * `ephemeral-servers`: same name, same synchronous shape, same errors), made cheap for Jest, which
 * evaluates this module again in every test file.
 *
 * Under `ephemeral-servers/jest/environment` it reads what the environment exposed (the same frozen
 * objects as the global `servers`). Under any other test environment (`jsdom`, `node`) it reads the
 * run's state file (`EPHEMERAL_SERVERS_STATE`, set by the global setup), which lists the `run`-scoped
 * servers, and the `worker`-scoped ones only once some test file of this slot started them under our
 * environment.
 *
 * @example
 * ```ts
 * import { getEndpoint } from 'ephemeral-servers/jest';
 * test('health', async () => {
 *   const res = await fetch(`${getEndpoint('api').url}/health`);
 *   expect(res.status).toBe(200);
 * });
 * ```
 * @throws ServerNotFoundError when there is no such server (the message lists the known ones).
 * @throws StateFileError, ServerDeadError when falling back to the state file, as the root
 *   `getEndpoint` (the slot being `JEST_WORKER_ID`'s).
 */
export function getEndpoint(name: string): Endpoint {
  const exposed = (globalThis as GlobalWithEndpoints)[ENDPOINTS_KEY];
  if (exposed === undefined) return getEndpointFromStateFile(name);
  const endpoint = exposed[name];
  if (endpoint === undefined)
    throw new ServerNotFoundError(name, undefined, Object.keys(exposed), 'the Jest test environment');
  return endpoint;
}

/**
 * The fallback of {@link getEndpoint}: the run-scoped instance, else this `JEST_WORKER_ID`'s (not the
 * root lookup's default slot: a Jest run from a Vitest worker inherits `VITEST_POOL_ID`).
 */
function getEndpointFromStateFile(name: string): Endpoint {
  const core = loadCore();
  try {
    return core.getEndpoint(name, { slot: 0 });
  } catch (error) {
    const workerId = process.env.JEST_WORKER_ID;
    if (!(error instanceof core.ServerNotFoundError) || workerId === undefined || workerId === '') throw error;
    return core.getEndpoint(name, { slot: Number(workerId) });
  }
}

/** The core API, through Node's `require` (this package's CommonJS build), bypassing Jest's registry. */
function loadCore(): typeof Core {
  return createRequire(import.meta.url)('ephemeral-servers') as typeof Core;
}
