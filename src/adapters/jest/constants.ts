import type { Endpoint } from '../../endpoint.js';

/** The one `EPHEMERAL_SERVERS_CONFIG` (see its TSDoc): read by the global setup, then set by it for the workers. */
export { CONFIG_ENV } from '../../config/config-env.js';

/**
 * Key of the endpoints the test environment puts on a test file's global. A registered symbol is the
 * same in every realm, so `getEndpoint` (loaded inside the test's VM context) finds what the environment
 * (loaded outside it) put there.
 */
export const ENDPOINTS_KEY: unique symbol = Symbol.for('ephemeral-servers.jest.endpoints');

/** Name of the plain global that holds the same endpoints, for tests that import nothing. */
export const SERVERS_GLOBAL = 'servers';

/** A test global carrying endpoints. */
export type GlobalWithEndpoints = { [ENDPOINTS_KEY]?: Readonly<Record<string, Endpoint>> };
