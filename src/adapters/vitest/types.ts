import type { ServersConfig } from '../../config/types.js';
import type { Endpoint } from '../../endpoint.js';
import type { ConfigIssue } from '../../errors.js';

/** Why the servers could not follow an edit of the config file in watch mode (plain JSON, see {@link ProvidedServers.reloadError}). */
export interface ReloadErrorInfo {
  /** The error's class name: `ConfigError`, `ServerExitedError`, … */
  name: string;
  /** Its stable code (`ES_CONFIG_INVALID`, …), when it has one. */
  code: string | undefined;
  message: string;
  /** A `ConfigError`'s issues. */
  issues: ConfigIssue[] | undefined;
}

/** Key under which the global setup `provide`s the run: `inject('ephemeral-servers')`. */
export const PROVIDE_KEY = 'ephemeral-servers';

/**
 * Registry of your servers config, for typed names. Augment it once (in a `.d.ts` or any file the
 * TypeScript project includes) and `getEndpoint`, `inject('ephemeral-servers')` and `request` complete
 * your server names:
 *
 * @example
 * ```ts
 * import type servers from './servers.config';
 * declare module 'ephemeral-servers/vitest' {
 *   interface Register { servers: typeof servers }
 * }
 * ```
 * Unregistered, every name is a `string`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- empty until a project augments it (declaration merging needs an interface)
export interface Register {}

/** The registered config (see {@link Register}), else any `ServersConfig`. */
export type RegisteredServers = Register extends { servers: infer C extends ServersConfig } ? C : ServersConfig;

/** Every server name of a config. */
export type ServerName<C extends ServersConfig = RegisteredServers> = Extract<keyof C, string>;

/** Names of the `worker`-scoped servers of a config (one instance per worker slot). */
export type WorkerServerName<C extends ServersConfig = RegisteredServers> = {
  [K in ServerName<C>]: C[K] extends { scope: 'worker' } ? K : never;
}[ServerName<C>];

/** Names of the `run`-scoped servers of a config (the default scope: one instance for the whole run). */
export type RunServerName<C extends ServersConfig = RegisteredServers> = Exclude<ServerName<C>, WorkerServerName<C>>;

/** What the global setup provides under {@link PROVIDE_KEY}. Plain JSON. */
export interface ProvidedServers<C extends ServersConfig = RegisteredServers> {
  /** Run id (a UUID), as in the state file. */
  runId: string;
  /** Absolute path of the run's state file (also in `process.env.EPHEMERAL_SERVERS_STATE`). */
  stateFile: string;
  /** Absolute path of the servers config file, when the config was loaded from one. */
  configFile: string | undefined;
  /** Endpoints of the `run`-scoped servers, by name. */
  endpoints: Record<RunServerName<C>, Endpoint>;
  /**
   * Set in watch mode when the config file changed and the servers could not follow (an invalid config,
   * a server that failed to start): the fixtures then fail every test with this error until the file
   * is fixed. The servers that ran before keep running.
   */
  reloadError?: ReloadErrorInfo;
}

declare module 'vitest' {
  interface ProvidedContext {
    /** The ephemeral-servers run, provided by `ephemeral-servers/vitest/setup`. */
    'ephemeral-servers': ProvidedServers;
  }
}
