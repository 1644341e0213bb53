/**
 * `ephemeral-servers/jest/environment`: a Jest test environment (Node) with the run's servers.
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
import * as jestEnvironmentNode from 'jest-environment-node';
import { loadServersConfig } from '../../config/load-config.js';
import type { ServersConfig } from '../../config/types.js';
import type { Endpoint } from '../../endpoint.js';
import { startServers, type ServersHandle } from '../../lifecycle/start-servers.js';
import { stateKey } from '../../state/schema.js';
import { readState } from '../../state/state-file.js';
import { resolveStatePath } from '../../state/state-path.js';
import { detectWorkerSlot } from '../../state/worker-slot.js';
import { resolveConfigFile } from '../../config/load-config.js';
import { ENDPOINTS_KEY, SERVERS_GLOBAL } from './constants.js';
import { formatServerOutput, markTestStart, reportFailedTest, type TestStart } from '../failure-report.js';
import { exitWhenRunnerDies } from '../orphaned-worker.js';

/** The part of a jest-circus event this environment reads (`test_start`, `test_done`). */
interface TestEvent {
  name: string;
  test?: { errors: unknown[] };
}

/** An error whose stack is its text: Jest prints it as it is, without a trace. */
function plainError(name: string, text: string): Error {
  const error = new Error(text);
  error.name = name;
  error.stack = text;
  return error;
}

// jest-environment-node is CommonJS in Jest 29 and dual in Jest 30: take `TestEnvironment` from
// wherever this module system put it.
type NodeEnvironmentClass = typeof jestEnvironmentNode.TestEnvironment;
const moduleValue = jestEnvironmentNode as unknown as {
  TestEnvironment?: NodeEnvironmentClass;
  default?: NodeEnvironmentClass & { TestEnvironment?: NodeEnvironmentClass };
};
const NodeTestEnvironment: NodeEnvironmentClass =
  moduleValue.TestEnvironment ?? moduleValue.default?.TestEnvironment ?? moduleValue.default!;

/** The handles of the test files this worker process runs now (their in-process servers live here). */
const liveHandles = new Set<ServersHandle>();

/** Stops the in-process servers of every test file of this process (its runner is gone). */
async function stopLiveHandles(): Promise<void> {
  const handles = [...liveHandles];
  liveHandles.clear();
  await Promise.allSettled(handles.map((handle) => handle.stop()));
}

/**
 * Configs already loaded by this process, by run and file: a worker runs many test files. Keyed by the
 * run too because in watch mode each rerun is a new run, and its test files may run in this same
 * process (in band): an edited config must be loaded again.
 */
const loadedConfigs = new Map<string, Promise<ServersConfig>>();

function loadConfigOnce(rootDir: string, stateFile: string): Promise<ServersConfig> {
  const file = resolveConfigFile(rootDir);
  const key = `${stateFile}\0${file ?? `<none in ${rootDir}>`}`;
  let loading = loadedConfigs.get(key);
  if (loading === undefined) {
    loading = loadServersConfig({ file, cwd: rootDir }).then((loaded) => loaded.config);
    // A failed load is retried by the next test file rather than cached.
    loading.catch(() => loadedConfigs.delete(key));
    loadedConfigs.set(key, loading);
  }
  return loading;
}

/**
 * The Jest worker slot (1-based): `JEST_WORKER_ID`, which Jest sets in each worker and to `'1'` with
 * `--runInBand`. Other runners' slot variables are ignored on purpose: Jest started from a Vitest
 * worker still inherits `VITEST_POOL_ID`.
 */
function jestWorkerSlot(): number {
  return detectWorkerSlot({ JEST_WORKER_ID: process.env.JEST_WORKER_ID }) ?? 1;
}

/**
 * Jest test environment: `jest-environment-node`'s `TestEnvironment`, plus the run's servers.
 *
 * In `setup()`, before the test file runs, it joins the run of the global setup
 * (`EPHEMERAL_SERVERS_STATE`), loads the same servers config (`EPHEMERAL_SERVERS_CONFIG`, set by the
 * global setup), and starts this slot's `worker`-scoped servers: command servers are started by the
 * first test file of a slot (`JEST_WORKER_ID`) and reused by the next ones, even across worker
 * restarts, and are handed over to the run, which stops them at the global teardown; in-process ones
 * live in the worker process and stop with the test file. Two slots never share an instance.
 *
 * The test file then sees every endpoint (the `run`-scoped ones and its slot's `worker`-scoped ones),
 * by server name: through `getEndpoint(name)` from `ephemeral-servers/jest`, or the
 * global `servers` (a frozen object).
 *
 * A worker process (`jest-worker`'s forked child) whose runner dies without stopping it (SIGKILL of
 * the runner, or a SIGINT that only the runner got) closes its in-process servers and exits, even
 * inside a test (see `exitWhenRunnerDies`; measured 0.06–0.13 s after the runner's death); plain Jest
 * leaves it running until its test ends (docs/runner-modes.md).
 *
 * @throws StateFileError `ES_STATE_MISSING` from `setup()` when the global setup did not run.
 * @throws ConfigError, or the start error of a `worker`-scoped server: the test file fails with it.
 */
export class EphemeralServersEnvironment extends NodeTestEnvironment {
  readonly #rootDir: string;
  #handle: ServersHandle | undefined;
  #stateFile: string | undefined;
  /** Keys (`<name>@<slot>`) of the servers the test file sees. */
  #keys: string[] = [];
  #testStart: TestStart | undefined;

  constructor(...args: ConstructorParameters<NodeEnvironmentClass>) {
    super(...args);
    this.#rootDir = args[0].projectConfig.rootDir;
  }

  override async setup(): Promise<void> {
    await super.setup();
    const stateFile = resolveStatePath();
    const config = await loadConfigOnce(this.#rootDir, stateFile);
    const endpoints: Record<string, Endpoint> = {};
    for (const entry of Object.values((await readState(stateFile)).servers)) {
      if (entry.endpoint.slot === 0 && entry.status === 'running') endpoints[entry.endpoint.name] = entry.endpoint;
    }
    exitWhenRunnerDies(stopLiveHandles);
    if (Object.values(config).some((spec) => spec.scope === 'worker')) {
      this.#handle = await startServers(config, {
        stateFile,
        scope: 'worker',
        slot: jestWorkerSlot(),
        reuse: true,
        exportEnv: false,
      });
      liveHandles.add(this.#handle);
      await this.#handle.detach();
      Object.assign(endpoints, this.#handle.endpoints);
    }
    this.#expose(endpoints);
    this.#stateFile = stateFile;
    this.#keys = Object.values(endpoints).map((endpoint) => stateKey(endpoint.name, endpoint.slot));
  }

  /**
   * jest-circus's events: at `test_start` the servers' logs are marked; at `test_done` of a failing test,
   * every server the file sees that has died is added to the test's errors as a `ServerDeadError`, what
   * each other one wrote during the test is added after it (unless `EPHEMERAL_SERVERS_OUTPUT_ON_FAILURE=0`),
   * and the run's logs are kept. A passing test costs one read of the state file.
   */
  async handleTestEvent(event: TestEvent): Promise<void> {
    const stateFile = this.#stateFile;
    if (stateFile === undefined || this.#keys.length === 0) return;
    if (event.name === 'test_start') {
      this.#testStart = markTestStart(stateFile);
      return;
    }
    if (
      event.name !== 'test_done' ||
      event.test === undefined ||
      event.test.errors.length === 0 ||
      this.#testStart === undefined
    )
      return;
    const { dead, outputs } = await reportFailedTest(stateFile, this.#keys, this.#testStart);
    event.test.errors.push(...dead, ...outputs.map((output) => plainError('ServerOutput', formatServerOutput(output))));
  }

  override async teardown(): Promise<void> {
    try {
      // Detached: stops only this file's in-process servers; command servers belong to the run.
      if (this.#handle !== undefined) liveHandles.delete(this.#handle);
      await this.#handle?.stop();
    } finally {
      this.#handle = undefined;
      await super.teardown();
    }
  }

  /** Puts the endpoints on the test's global, as objects of the test's own realm, frozen. */
  #expose(endpoints: Record<string, Endpoint>): void {
    const testGlobal = this.global as unknown as typeof globalThis & Record<PropertyKey, unknown>;
    const copy = testGlobal.JSON.parse(JSON.stringify(endpoints)) as Record<string, Endpoint>;
    for (const endpoint of Object.values(copy)) testGlobal.Object.freeze(endpoint);
    testGlobal.Object.freeze(copy);
    testGlobal[ENDPOINTS_KEY] = copy;
    testGlobal[SERVERS_GLOBAL] = copy;
  }
}

export default EphemeralServersEnvironment;
