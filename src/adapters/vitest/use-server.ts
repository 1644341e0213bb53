import type { Endpoint } from '../../endpoint.js';
import { getEndpointSync } from '../../state/index.js';
import type { ServerName } from './types.js';

/**
 * Endpoint of a server of the run, from the run's state file: the `run`-scoped instance when the
 * server is run-scoped, else this worker slot's instance (which must already be started: by its
 * fixture, or by an earlier test file in the same slot). Works anywhere in a test worker (module
 * scope, hooks, tests) and in child processes of the run. Names are typed from your config once you
 * augment {@link Register}.
 *
 * @example
 * ```ts
 * import { useServer } from 'ephemeral-servers/vitest';
 * const db = useServer('db'); // { name, slot, host, port, url }
 * ```
 * @throws ServerNotFoundError when no such instance runs (the message lists the ones that do).
 * @throws ServerDeadError when it is recorded as dead.
 * @throws StateFileError `missing` outside a run (no `EPHEMERAL_SERVERS_STATE`).
 */
export function useServer<N extends ServerName>(name: N): Endpoint {
  return getEndpointSync(name);
}
