import { dirname } from 'node:path';
import type { FullConfig } from '@playwright/test';
import { CONFIG_ENV, loadServersConfig, resolveConfigFile } from '../../config/load-config.js';
import type { ServersConfig } from '../../config/types.js';
import { ConfigError, type ConfigIssue } from '../../errors.js';
import { startRun } from '../../lifecycle/start-run.js';
import { readHandoff } from './port-handoff.js';

/** Options of {@link createGlobalSetup}. */
export interface GlobalSetupOptions {
  /** The servers config. Default: loaded from `configFile`. */
  config?: ServersConfig;
  /**
   * Servers config file, absolute or relative to the Playwright config's directory (the rule of
   * `CONFIG_ENV`, see the root package). Takes precedence over `$EPHEMERAL_SERVERS_CONFIG`.
   * @default `$EPHEMERAL_SERVERS_CONFIG`, else the first `servers.config.{ts,mts,cts,js,mjs,cjs}` next to the Playwright config
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
 * When every server of the config is handed to `webServer`, no run is created (a run of zero servers
 * holds nothing): the setup only sets `EPHEMERAL_SERVERS_CONFIG`, and the worker fixture gives the
 * webServers' endpoints.
 *
 * @throws ConfigError when the config cannot be loaded or is invalid, or when a server depends on one
 *   handed to `webServer` (an issue per dependency, field `dependsOn`); the start error of a server that failed; RunConfigMismatchError under
 *   `ephemeral-servers run` when the config differs from the CLI's.
 */
export function createGlobalSetup(options: GlobalSetupOptions = {}): PlaywrightGlobalSetup {
  return async (playwrightConfig) => {
    const cwd = playwrightConfig.configFile ? dirname(playwrightConfig.configFile) : playwrightConfig.rootDir;
    const loaded =
      options.config === undefined
        ? await loadServersConfig({ file: resolveConfigFile(cwd, options.configFile), cwd })
        : undefined;
    let config = options.config ?? loaded!.config;
    const handedToPlaywright = Object.keys(readHandoff()?.servers ?? {});
    if (handedToPlaywright.length > 0) {
      config = Object.fromEntries(Object.entries(config).filter(([name]) => !handedToPlaywright.includes(name)));
      const issues: ConfigIssue[] = [];
      for (const [name, spec] of Object.entries(config)) {
        for (const dependency of (spec.dependsOn ?? []).filter((dep) => handedToPlaywright.includes(dep))) {
          issues.push({
            server: name,
            path: 'dependsOn',
            message:
              `depends on "${dependency}", which Playwright's webServer runs (defineWebServers): the run cannot order them. ` +
              `Leave "${dependency}" out of defineWebServers, or "${name}" out of its dependencies.`,
          });
        }
      }
      if (issues.length > 0) throw new ConfigError(issues);
    }
    const restoreConfigEnv = (): void => {
      if (loaded && process.env[CONFIG_ENV] === loaded.path) delete process.env[CONFIG_ENV];
    };
    // Every server was handed to Playwright's webServer: there is nothing for a run to hold, so none is
    // created (the worker fixture then gives the webServers alone).
    if (handedToPlaywright.length > 0 && Object.keys(config).length === 0) {
      if (loaded) process.env[CONFIG_ENV] = loaded.path;
      return async () => restoreConfigEnv();
    }
    const owner = await startRun({ config, cwd });
    if (loaded) process.env[CONFIG_ENV] = loaded.path;
    return async () => {
      try {
        await owner.teardown();
      } finally {
        restoreConfigEnv();
      }
    };
  };
}

/**
 * The global setup with default options: `globalSetup: 'ephemeral-servers/playwright'` in
 * playwright.config (Playwright resolves the package name and calls this module's default export).
 */
export const globalSetup: PlaywrightGlobalSetup = createGlobalSetup();
