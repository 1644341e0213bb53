import type { Endpoint } from '../../endpoint.js';
import { getEndpoint as getEndpointOfRun, type GetEndpointOptions } from '../../state/get-endpoint.js';
import type { ServerName } from './types.js';

/**
 * The package's one lookup (`getEndpoint` of `ephemeral-servers`, the very same function), with the
 * server names typed from your config once you augment {@link Register}: the endpoint of a server of
 * the run, from the run's state file, synchronously. The `run`-scoped instance when the server is
 * run-scoped, else this worker slot's instance (`VITEST_POOL_ID`), which must already be started (by
 * its fixture, by `servers.start`, or by an earlier test file in the same slot). Works anywhere in a
 * test worker (module scope, hooks, tests) and in child processes of the run.
 *
 * @example
 * ```ts
 * import { getEndpoint } from 'ephemeral-servers/vitest';
 * const db = getEndpoint('db'); // { name, slot, host, port, url }; getEndpoint('dv') is a type error
 * ```
 * @throws ServerNotFoundError when no such instance runs (the message lists the ones that do).
 * @throws ServerDeadError when it is recorded as dead.
 * @throws StateFileError `missing` outside a run (no `EPHEMERAL_SERVERS_STATE`).
 */
export const getEndpoint: (name: ServerName, options?: GetEndpointOptions) => Endpoint = getEndpointOfRun;
