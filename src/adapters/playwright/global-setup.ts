import { dirname } from 'node:path';
import type { FullConfig } from '@playwright/test';
import { loadServersConfig, startRun, type ServersConfig } from '../../index.js';
import { readHandoff } from './port-handoff.js';

/** Environment variable naming the servers config file for workers (set by the global setup). */
export const CONFIG_ENV = 'EPHEMERAL_SERVERS_CONFIG';

/** Options of {@link createGlobalSetup}. */
export interface GlobalSetupOptions {
  /** The servers config. Default: loaded from `configFile`. */
  config?: ServersConfig;
  /**
   * Servers config file, relative to the Playwright config's directory.
   * @default the first `servers.config.{ts,mts,cts,js,mjs,cjs}` next to the Playwright config
   */
  configFile?: string;
}

/** A Playwright global setup: gets the resolved config, returns the global teardown. */
export type PlaywrightGlobalSetup = (config: FullConfig) => Promise<() => Promise<void>>;

/**
 * Builds a Playwright global setup that owns the run: it starts the config's `run`-scoped servers
 * (except those {@link defineWebServers} handed to Playwright's `webServer` in the same config), sets
 * `EPHEMERAL_SERVERS_STATE` (and `EPHEMERAL_SERVERS_CONFIG` when loaded from a file) for the workers,
 * which Playwright starts afterwards and which inherit them, and returns the teardown that stops every
 * server of the run, worker-scoped ones included. The run has a supervisor: if the runner is SIGKILLed, its
 * servers (those of the worker fixture too) are stopped all the same.
 *
 * Use {@link globalSetup} (`globalSetup: 'ephemeral-servers/playwright'`) for the defaults; a file of
 * yours for options: `export default createGlobalSetup({ configFile: './e2e/servers.config.ts' })`.
 *
 * Under `ephemeral-servers run -- playwright test` it joins the CLI's run instead of creating one (see
 * `startRun`): the run-scoped servers are the CLI's (started once), the worker fixture starts its
 * slot's worker-scoped ones in that run, the returned teardown stops only those, and the CLI stops the
 * rest. A server handed to `webServer` must then not be in the CLI's config too (it would run twice):
 * that is a `RunConfigMismatchError`.
 *
 * @throws ConfigError when the config cannot be loaded or is invalid; TypeError when a server depends on
 *   one handed to `webServer`; the start error of a server that failed; RunConfigMismatchError under
 *   `ephemeral-servers run` when the config differs from the CLI's.
 */
export function createGlobalSetup(options: GlobalSetupOptions = {}): PlaywrightGlobalSetup {
  return async (playwrightConfig) => {
    const cwd = playwrightConfig.configFile ? dirname(playwrightConfig.configFile) : playwrightConfig.rootDir;
    const loaded = options.config === undefined ? await loadServersConfig({ file: options.configFile, cwd }) : undefined;
    let config = options.config ?? loaded!.config;
    const handedToPlaywright = Object.keys(readHandoff()?.servers ?? {});
    if (handedToPlaywright.length > 0) {
      config = Object.fromEntries(Object.entries(config).filter(([name]) => !handedToPlaywright.includes(name)));
      for (const [name, spec] of Object.entries(config)) {
        const dependency = spec.dependsOn?.find((dep) => handedToPlaywright.includes(dep));
        if (dependency !== undefined) {
          throw new TypeError(
            `Server "${name}" depends on "${dependency}", which Playwright's webServer runs (defineWebServers): the run cannot order them. ` +
              `Leave "${dependency}" out of defineWebServers, or "${name}" out of its dependencies.`,
          );
        }
      }
    }
    const owner = await startRun({ config, cwd });
    if (loaded) process.env[CONFIG_ENV] = loaded.path;
    return async () => {
      try {
        await owner.teardown();
      } finally {
        if (loaded && process.env[CONFIG_ENV] === loaded.path) delete process.env[CONFIG_ENV];
      }
    };
  };
}

/**
 * The global setup with default options: `globalSetup: 'ephemeral-servers/playwright'` in
 * playwright.config (Playwright resolves the package name and calls this module's default export).
 */
export const globalSetup: PlaywrightGlobalSetup = createGlobalSetup();
