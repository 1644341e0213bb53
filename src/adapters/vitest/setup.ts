/**
 * `ephemeral-servers/vitest/setup`: the Vitest global setup. Add it to `vitest.config.ts`:
 * `test: { globalSetup: ['ephemeral-servers/vitest/setup'] }`. See docs/vitest.md.
 */
import type { TestProject } from 'vitest/node';
import type { ServersConfig } from '../../config/types.js';
import { startRun } from '../../lifecycle/start-run.js';
import { debugLog } from './debug.js';
import { PROVIDE_KEY, type ProvidedServers } from './types.js';

/** Environment variable naming the servers config file (absolute, or relative to the Vitest root). */
export const CONFIG_ENV = 'EPHEMERAL_SERVERS_CONFIG';

/** Options of {@link createGlobalSetup}. */
export interface VitestGlobalSetupOptions {
  /**
   * Path of the servers config file, absolute or relative to the Vitest project root.
   * @default `process.env.EPHEMERAL_SERVERS_CONFIG`, else the first `servers.config.{ts,mts,cts,js,mjs,cjs}` in the project root
   */
  configFile?: string;
  /** The servers config itself, instead of a file. */
  config?: ServersConfig;
}

/** The shape Vitest expects of a global setup's default export (Vitest 4: `setup(project)` returning a teardown). */
export type VitestGlobalSetup = (project: Pick<TestProject, 'config' | 'provide'>) => Promise<() => Promise<void>>;

/**
 * Creates a Vitest global setup: it loads the servers config (see `options`), creates the run (run
 * directory, state file, `EPHEMERAL_SERVERS_STATE` for the workers), starts every `run`-scoped server,
 * `provide`s `{ runId, stateFile, configFile, endpoints }` under `'ephemeral-servers'` (read it with
 * `inject('ephemeral-servers')`), and returns the teardown, which stops every server of the run
 * (worker-scoped ones the workers started included, in reverse dependency order) and removes the run
 * directory. The default export of this module is `createGlobalSetup()`.
 *
 * A config error or a start failure rejects with the typed error (`ConfigError`,
 * `ServerExitedError` with the server's output tail, `ReadinessTimeoutError`, …), which fails the
 * Vitest run; nothing is left running. If Vitest dies without awaiting the teardown (a signal,
 * `process.exit`, SIGKILL), the run's supervisor stops the servers, in reverse dependency order, as
 * soon as the Vitest process is gone (docs/teardown.md).
 *
 * Under `ephemeral-servers run -- vitest …` it joins the CLI's run instead of creating one (see
 * `startRun`): the run-scoped servers are the CLI's (started once), workers start their worker-scoped
 * ones in that run, the teardown stops only those, and the CLI stops the rest. A config that differs
 * from the CLI's rejects with `RunConfigMismatchError`.
 *
 * @example
 * ```ts
 * // vitest.global-setup.ts, listed in `globalSetup` instead of 'ephemeral-servers/vitest/setup'
 * import { createGlobalSetup } from 'ephemeral-servers/vitest/setup';
 * export default createGlobalSetup({ configFile: 'test/servers.e2e.ts' });
 * ```
 */
export function createGlobalSetup(options: VitestGlobalSetupOptions = {}): VitestGlobalSetup {
  return async function setup(project) {
    const startedAt = performance.now();
    const owner = await startRun({
      config: options.config,
      configFile: options.config === undefined ? (options.configFile ?? (process.env[CONFIG_ENV] || undefined)) : undefined,
      cwd: project.config.root,
    });
    const startMs = performance.now() - startedAt;
    debugLog(
      owner.joined
        ? `run ${owner.run.runId}: joined the run of \`ephemeral-servers run\` in ${startMs.toFixed(1)} ms (its run-scoped servers: ${Object.keys(owner.endpoints).join(', ') || 'none'})`
        : `run ${owner.run.runId}: run-scoped servers ready in ${startMs.toFixed(1)} ms (${Object.entries(owner.readyMs)
            .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
            .join(', ')})`,
    );
    const provided: ProvidedServers = {
      runId: owner.run.runId,
      stateFile: owner.run.stateFile,
      configFile: owner.configFile,
      endpoints: { ...owner.endpoints },
    };
    project.provide(PROVIDE_KEY, provided);
    return async function teardown() {
      const stoppingAt = performance.now();
      try {
        await owner.teardown();
      } finally {
        debugLog(`run ${owner.run.runId}: teardown took ${(performance.now() - stoppingAt).toFixed(1)} ms`);
      }
    };
  };
}

/** The global setup with the default options: `globalSetup: ['ephemeral-servers/vitest/setup']`. */
const setup: VitestGlobalSetup = createGlobalSetup();
export default setup;
