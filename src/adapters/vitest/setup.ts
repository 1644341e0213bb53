/**
 * `ephemeral-servers/vitest/setup`: the Vitest global setup. Add it to `vitest.config.ts`:
 * `test: { globalSetup: ['ephemeral-servers/vitest/setup'] }`. See docs/vitest.md.
 */
import { relative } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadServersConfig, resolveConfigFile } from '../../config/load-config.js';
import type { ServersConfig } from '../../config/types.js';
import type { Endpoint } from '../../endpoint.js';
import type { ReloadResult } from '../../lifecycle/run-servers.js';
import { startRun, type RunOwner } from '../../lifecycle/start-run.js';
import { readState } from '../../state/index.js';
import { debugLog } from './debug.js';
import { PROVIDE_KEY, type ProvidedServers, type ReloadErrorInfo } from './types.js';

/** Options of {@link createGlobalSetup}. */
export interface VitestGlobalSetupOptions {
  /**
   * Path of the servers config file, absolute or relative to the Vitest project root (the rule of
   * `CONFIG_ENV`, see the root package). Takes precedence over `$EPHEMERAL_SERVERS_CONFIG`.
   * @default `process.env.EPHEMERAL_SERVERS_CONFIG`, else the first `servers.config.{ts,mts,cts,js,mjs,cjs}` in the project root
   */
  configFile?: string;
  /** The servers config itself, instead of a file. */
  config?: ServersConfig;
}

/** What the global setup uses of Vitest's `TestProject` (`vitest` and `onTestsRerun`: Vitest 3+; without them, no watch reload and no root `provide`). */
export type VitestProjectLike = Pick<TestProject, 'config' | 'provide'> &
  Partial<Pick<TestProject, 'vitest' | 'onTestsRerun' | 'import'>>;

/** The shape Vitest expects of a global setup's default export (Vitest 4: `setup(project)` returning a teardown). */
export type VitestGlobalSetup = (project: VitestProjectLike) => Promise<() => Promise<void>>;

/** What this run provides: `{ runId, stateFile, configFile, endpoints }`, and a reload's error. */
function providedBy(
  owner: RunOwner,
  endpoints: Readonly<Record<string, Endpoint>>,
  reloadError?: ReloadErrorInfo,
): ProvidedServers {
  const provided: ProvidedServers = {
    runId: owner.run.runId,
    stateFile: owner.run.stateFile,
    configFile: owner.configFile,
    endpoints: { ...endpoints },
  };
  if (reloadError !== undefined) provided.reloadError = reloadError;
  return provided;
}

/** An error as plain JSON, for `provide`. */
function describeError(error: unknown): ReloadErrorInfo {
  const { name, code, message, issues } = (error instanceof Error ? error : new Error(String(error))) as Error & {
    code?: unknown;
    issues?: unknown;
  };
  return {
    name,
    code: typeof code === 'string' ? code : undefined,
    message,
    issues: Array.isArray(issues) ? (issues as ReloadErrorInfo['issues']) : undefined,
  };
}

/** Every running run-scoped server of the run, for the root project (whose `provide` every project inherits). */
async function runEndpoints(owner: RunOwner): Promise<Record<string, Endpoint>> {
  const endpoints: Record<string, Endpoint> = {};
  for (const entry of Object.values((await readState(owner.run.stateFile)).servers)) {
    if (entry.scope === 'run' && entry.slot === 0 && entry.status === 'running') endpoints[entry.name] = entry.endpoint;
  }
  return { ...endpoints, ...owner.endpoints };
}

/**
 * `provide`s the run to this project, and to Vitest's root project, whose provided values every
 * project inherits: a project whose config lists no global setup still gets `inject('ephemeral-servers')`.
 */
async function provideRun(project: VitestProjectLike, owner: RunOwner, reloadError?: ReloadErrorInfo): Promise<void> {
  project.provide(PROVIDE_KEY, providedBy(owner, owner.endpoints, reloadError));
  const root = project.vitest?.getRootProject();
  if (root !== undefined && root !== (project as unknown))
    root.provide(PROVIDE_KEY, providedBy(owner, await runEndpoints(owner), reloadError));
}

/** The terminal line of a reload, or `undefined` when nothing changed. */
function describeReload(file: string, result: ReloadResult): string | undefined {
  const parts = [
    result.restarted.length > 0 ? `restarted ${result.restarted.join(', ')}` : '',
    result.started.length > 0 ? `started ${result.started.join(', ')}` : '',
    result.stopped.length > 0 ? `stopped ${result.stopped.join(', ')}` : '',
    result.workerStopped.length > 0
      ? `stopped worker instances ${result.workerStopped.join(', ')} (they start again on first use)`
      : '',
  ].filter(Boolean);
  return parts.length === 0 ? undefined : `ephemeral-servers: ${file} changed: ${parts.join('; ')}`;
}

/**
 * The config file as it is now, with what it imports: through Vite's module runner (`project.import`,
 * whose modules Vitest's watcher invalidates when they change), else the loader of the first load
 * (`loadServersConfig`, which Node's module cache defeats for plain ES modules).
 */
async function loadAgain(project: VitestProjectLike, file: string): Promise<ServersConfig> {
  if (project.import === undefined) return (await loadServersConfig({ file })).config;
  const module = await project.import<{ default?: unknown }>(file);
  let loaded: unknown = module.default ?? module;
  if (typeof loaded === 'function') loaded = await (loaded as () => unknown)();
  if (typeof loaded !== 'object' || loaded === null) return (await loadServersConfig({ file })).config;
  return loaded as ServersConfig;
}

/**
 * In watch mode, follows the servers config file: before each rerun it is loaded again, and the
 * servers whose spec changed restart (see `RunOwner.reload`); the terminal says which; the new
 * endpoints are provided again. The file is added to Vitest's `forceRerunTriggers`, so that editing it
 * reruns the tests even when no test imports it. A config that became invalid (or cannot start) fails
 * the rerun's tests that use the fixtures with its error (`reloadError`, see `ProvidedServers`), without
 * ending watch mode; the servers that ran stay until the file is fixed.
 */
function followConfigFile(project: VitestProjectLike, owner: RunOwner): void {
  const vitest = project.vitest;
  const file = owner.configFile;
  if (vitest === undefined || project.onTestsRerun === undefined || file === undefined || !vitest.config.watch) {
    debugLog(
      `run ${owner.run.runId}: ${file ?? 'an inline config'} is not followed (not watch mode, or no file, or Vitest before 3)`,
    );
    return;
  }
  if (!vitest.config.forceRerunTriggers.includes(file)) {
    vitest.config.forceRerunTriggers.push(file);
    vitest.vite.watcher.add(file);
  }
  const fromRoot = relative(vitest.config.root, file);
  const label = fromRoot === '' || fromRoot.startsWith('..') ? file : fromRoot;
  project.onTestsRerun(async () => {
    const startedAt = performance.now();
    let result: ReloadResult;
    try {
      result = await owner.reload(await loadAgain(project, file));
    } catch (error) {
      // Thrown from here, the error would end Vitest's watch mode: the fixtures fail the tests with it instead.
      process.stderr.write(
        `ephemeral-servers: ${label} changed, and the servers could not follow (the tests that use them fail until it is fixed):\n${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`,
      );
      await provideRun(project, owner, describeError(error));
      return;
    }
    const line = describeReload(label, result);
    const ms = (performance.now() - startedAt).toFixed(0);
    // On stderr, as the debug lines: Vitest's logger does not print from an `onTestsRerun` callback.
    if (line !== undefined) process.stderr.write(`${line} (${ms} ms)\n`);
    else debugLog(`run ${owner.run.runId}: rerun: ${label} loaded again in ${ms} ms, no server changed`);
    await provideRun(project, owner);
  });
}

/**
 * Creates a Vitest global setup: it loads the servers config (see `options`), creates the run (run
 * directory, state file, `EPHEMERAL_SERVERS_STATE` for the workers), starts every `run`-scoped server,
 * `provide`s `{ runId, stateFile, configFile, endpoints }` under `'ephemeral-servers'` (read it with
 * `inject('ephemeral-servers')`), and returns the teardown, which stops every server of the run
 * (worker-scoped ones the workers started included, in reverse dependency order) and removes the run
 * directory. The default export of this module is `createGlobalSetup()`.
 *
 * One Vitest process has one run, however the setup is listed (at the root, in each project, through
 * `extends: true`): the first setup creates it, later ones join it (`startRun` with `share`), so every
 * project's fixtures and `inject` see the same servers and each run-scoped server starts once. The run
 * is provided to Vitest's root project too, so a project that lists no setup still gets `inject`.
 *
 * In watch mode, the config file is followed: when it changes, the servers whose spec changed restart
 * before the rerun (see `RunOwner.reload`), and the terminal says which.
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
      configFile: options.config === undefined ? resolveConfigFile(project.config.root, options.configFile) : undefined,
      cwd: project.config.root,
      share: true,
    });
    const startMs = performance.now() - startedAt;
    debugLog(
      owner.origin === 'cli'
        ? `run ${owner.run.runId}: joined the run of \`ephemeral-servers run\` in ${startMs.toFixed(1)} ms (its run-scoped servers: ${Object.keys(owner.endpoints).join(', ') || 'none'})`
        : owner.origin === 'process'
          ? `run ${owner.run.runId}: project ${JSON.stringify(project.config.name ?? '')} joined this Vitest process's run in ${startMs.toFixed(1)} ms`
          : `run ${owner.run.runId}: run-scoped servers ready in ${startMs.toFixed(1)} ms (${Object.entries(
              owner.readyMs,
            )
              .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
              .join(', ')})`,
    );
    try {
      await provideRun(project, owner);
      // One follower per run: the setup that created it (or each that joined the CLI's, which only checks).
      if (owner.origin !== 'process') followConfigFile(project, owner);
    } catch (error) {
      await owner.teardown();
      throw error;
    }
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
