/**
 * `ephemeral-servers/jest/global-setup`: Jest `globalSetup` module that owns the run.
 *
 * ```js
 * // jest.config.js
 * module.exports = {
 *   globalSetup: 'ephemeral-servers/jest/global-setup',
 *   globalTeardown: 'ephemeral-servers/jest/global-teardown',
 *   testEnvironment: 'ephemeral-servers/jest/environment',
 * };
 * ```
 */
import { startRun } from '../../lifecycle/start-run.js';
import { resolveConfigFile } from '../../config/load-config.js';
import { CONFIG_ENV } from './constants.js';
import { getRunSlot, setRunSlot } from './owner-slot.js';
import { stopJestRun } from './stop-jest-run.js';

/** The part of Jest's project config the global setup reads (Jest 29 and 30 pass the whole object). */
export interface JestProjectConfigLike {
  /** Absolute path of the project's root directory; the servers config is looked up there. */
  rootDir: string;
}

/** A Jest `globalSetup` function: `(globalConfig, projectConfig) => Promise<void>`. */
export type JestGlobalSetup = (globalConfig: unknown, projectConfig?: JestProjectConfigLike) => Promise<void>;

/** Options of {@link createGlobalSetup}. */
export interface JestGlobalSetupOptions {
  /**
   * Servers config file, absolute or relative to Jest's `rootDir`. Takes precedence over
   * `$EPHEMERAL_SERVERS_CONFIG`.
   * @default `$EPHEMERAL_SERVERS_CONFIG`, else the first `servers.config.{ts,mts,cts,js,mjs,cjs}` in `rootDir`
   */
  configFile?: string;
}

/**
 * Builds a Jest `globalSetup` function. It creates the run (run directory, state file), starts the
 * `run`-scoped servers of the servers config, and exports to `process.env`, which Jest's workers
 * inherit: `EPHEMERAL_SERVERS_STATE` (the state file) and `EPHEMERAL_SERVERS_CONFIG` (the absolute path
 * of the config file, which each worker's test environment loads to start its `worker`-scoped
 * servers). The run is handed to `ephemeral-servers/jest/global-teardown` through a `globalThis` slot
 * (both run in Jest's main process).
 *
 * One Jest process has one run, however many projects list a global setup (Jest calls each distinct
 * setup module once, with its project's config): the first setup creates the run, later ones join it
 * (`startRun` with `share`, as Vitest's projects do), so every project's workers see the same servers
 * and each `run`-scoped server starts once. The first global teardown ends the whole run (Jest runs
 * them all after every test). The workers load the first setup's config file.
 *
 * If a setup that already holds the run of this process is called again for the same project, the
 * previous run was never torn down (watch mode without the global teardown): it is torn down first.
 *
 * Under `ephemeral-servers run -- jest …` it joins the CLI's run instead of creating one (see
 * `startRun`): the run-scoped servers are the CLI's (started once), each worker's test environment
 * starts its slot's worker-scoped ones in that run, the global teardown stops only those, and the CLI
 * stops the rest.
 *
 * @example
 * ```js
 * // jest.global-setup.js, with `globalSetup: '<rootDir>/jest.global-setup.js'`
 * const { createGlobalSetup } = require('ephemeral-servers/jest/global-setup');
 * module.exports = createGlobalSetup({ configFile: 'e2e/servers.config.ts' });
 * ```
 * @throws ConfigError when the config cannot be found, loaded or validated.
 * @throws the start error of the first server that failed (nothing is left running).
 * @throws RunConfigMismatchError under `ephemeral-servers run` when the config differs from the CLI's.
 */
export function createGlobalSetup(options: JestGlobalSetupOptions = {}): JestGlobalSetup {
  return async function globalSetup(globalConfig: unknown, projectConfig?: JestProjectConfigLike): Promise<void> {
    const project = projectConfig ?? globalConfig;
    if (getRunSlot()?.holders.some((holder) => holder.setup === globalSetup && holder.project === project))
      await stopJestRun();
    const rootDir =
      projectConfig?.rootDir ?? (globalConfig as Partial<JestProjectConfigLike> | undefined)?.rootDir ?? process.cwd();
    const configFile = resolveConfigFile(rootDir, options.configFile);
    const slot = getRunSlot() ?? { holders: [], previousConfigEnv: process.env[CONFIG_ENV] };
    const owner = await startRun({ configFile, cwd: rootDir, share: true });
    if (slot.holders.length === 0 && owner.configFile !== undefined) process.env[CONFIG_ENV] = owner.configFile;
    slot.holders.push({ owner, setup: globalSetup, project });
    setRunSlot(slot);
  };
}

/** The default global setup: {@link createGlobalSetup} without options. */
const globalSetup: JestGlobalSetup = createGlobalSetup();
export default globalSetup;
