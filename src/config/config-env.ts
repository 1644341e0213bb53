/* A module of its own, importing nothing: the Jest test files' module (`ephemeral-servers/jest`) reads it without loading the config loader. */

/**
 * Environment variable naming the servers config file, read the same way by every global setup
 * (Vitest, Jest, Playwright): absolute, or relative to the runner's root directory (Vitest's `root`,
 * Jest's `rootDir`, the Playwright config file's directory), the directory the default lookup of
 * `CONFIG_FILE_NAMES` searches. A setup's own `configFile` option takes precedence over it (and
 * is relative to the same directory). The Jest and Playwright global setups set it to the absolute path
 * they loaded, so that the workers load the very same file.
 */
export const CONFIG_ENV = 'EPHEMERAL_SERVERS_CONFIG';
