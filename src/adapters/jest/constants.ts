import type { Endpoint } from '../../endpoint.js';

/**
 * Environment variable naming the servers config file of a Jest run. Read by the global setup (a
 * value you set overrides the lookup in `rootDir`), then set by it to the absolute path it loaded, so
 * that every worker's test environment loads the very same file.
 */
export const CONFIG_ENV = 'EPHEMERAL_SERVERS_CONFIG';

/**
 * Key of the endpoints the test environment puts on a test file's global. A registered symbol is the
 * same in every realm, so `getServer` (loaded inside the test's VM context) finds what the environment
 * (loaded outside it) put there.
 */
export const ENDPOINTS_KEY: unique symbol = Symbol.for('ephemeral-servers.jest.endpoints');

/** Name of the plain global that holds the same endpoints, for tests that import nothing. */
export const SERVERS_GLOBAL = 'servers';

/** A test global carrying endpoints. */
export type GlobalWithEndpoints = { [ENDPOINTS_KEY]?: Readonly<Record<string, Endpoint>> };
