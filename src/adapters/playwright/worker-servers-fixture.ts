import type { TestInfo, WorkerInfo } from '@playwright/test';
import { dirname } from 'node:path';
import { loadServersConfig, resolveConfigFile } from '../../config/load-config.js';
import type { ServersConfig } from '../../config/types.js';
import type { Endpoint } from '../../endpoint.js';
import { ServerNotFoundError, StateFileError } from '../../errors.js';
import { startServers } from '../../lifecycle/start-servers.js';
import { readState } from '../../state/state-file.js';
import { STATE_ENV } from '../../state/state-path.js';
import { stateKey } from '../../state/schema.js';
import { deadServersError, formatServerOutput, markTestStart, reportFailedTest } from '../failure-report.js';
import { webServerEndpoints } from './port-handoff.js';

/** The servers a Playwright worker sees: its own `worker`-scoped instances and the run's. */
export interface WorkerServers {
  /** This worker's slot: Playwright's `parallelIndex` + 1 (1..workers). */
  slot: number;
  /** Endpoints by name: this slot's worker-scoped instances, and the run-scoped servers. */
  endpoints: Readonly<Record<string, Endpoint>>;
  /**
   * Endpoint of a server: of `endpoints`, else a webServer of `defineWebServers` (its launcher's port).
   * The package's one lookup (`getEndpoint`, see README "Looking up a server"), on the fixture.
   * @throws ServerNotFoundError when there is no server of that name (the message lists the known ones).
   */
  getEndpoint(name: string): Endpoint;
}

/** Options of {@link workerServersFixture}. */
export interface WorkerServersOptions {
  /** The servers config. @default loaded from `configFile` */
  config?: ServersConfig;
  /**
   * Servers config file, absolute or relative to the Playwright config's directory (the rule of
   * `CONFIG_ENV`, see the root package): needed when the global setup was given a config object.
   * @default `$EPHEMERAL_SERVERS_CONFIG` (the file the global setup loaded, absolute)
   */
  configFile?: string;
  /** Worker-scoped servers to start. @default every worker-scoped server of the config */
  only?: readonly string[];
}

/** The fixture's value: `endpoints` first, then the webServers of `defineWebServers` (at the port its launcher reported). */
function workerServers(
  slot: number,
  endpoints: Record<string, Endpoint>,
  webServers: Record<string, Endpoint>,
): WorkerServers {
  return {
    slot,
    endpoints,
    getEndpoint(name: string): Endpoint {
      const endpoint = endpoints[name] ?? webServers[name];
      if (endpoint === undefined) {
        throw new ServerNotFoundError(
          name,
          slot,
          [...Object.keys(endpoints), ...Object.keys(webServers)],
          'the worker fixture (the run, this slot, and the webServers of defineWebServers)',
        );
      }
      return endpoint;
    },
  };
}

type WorkerFixtureFunction = (
  args: object,
  use: (servers: WorkerServers) => Promise<void>,
  workerInfo: WorkerInfo,
) => Promise<void>;

/**
 * A worker-scoped Playwright fixture: the config's `worker`-scoped servers, one instance per worker
 * slot (`parallelIndex` + 1), never shared between slots. The first worker of a slot starts them and
 * hands them over to the run (so the run's teardown, and its supervisor if the runner is SIGKILLed, stop
 * them); a worker that replaces it in the same slot (after a test failure) reuses them when they are
 * still alive. In-process servers live in the worker and stop with it. Needs the run of our global
 * setup (`globalSetup: 'ephemeral-servers/playwright'`).
 *
 * ```ts
 * export const test = base.extend<{}, { servers: WorkerServers }>({ servers: workerServersFixture() });
 * ```
 *
 * @throws StateFileError (`ES_STATE_MISSING`) when no run is set up; the start errors of `startServers`.
 */
export function workerServersFixture(options: WorkerServersOptions = {}): [WorkerFixtureFunction, { scope: 'worker' }] {
  // Playwright reads a fixture's dependencies from its source: the first parameter must be a
  // destructuring pattern (`{}`: none), not a plain name.
  const fixture: WorkerFixtureFunction = async ({}, use, workerInfo) => {
    const stateFile = process.env[STATE_ENV];
    const slot = workerInfo.parallelIndex + 1;
    const webServers = webServerEndpoints();
    if ((stateFile === undefined || stateFile === '') && Object.keys(webServers).length > 0) {
      // The global setup created no run: every server of the config is a webServer.
      await use(workerServers(slot, {}, webServers));
      return;
    }
    if (stateFile === undefined || stateFile === '') {
      throw new StateFileError(
        'missing',
        undefined,
        `No run for the worker servers: ${STATE_ENV} is not set. Add \`globalSetup: 'ephemeral-servers/playwright'\` to playwright.config (or your own createGlobalSetup()).`,
      );
    }
    const root = workerInfo.config.configFile ? dirname(workerInfo.config.configFile) : workerInfo.config.rootDir;
    const config =
      options.config ??
      (await loadServersConfig({ file: resolveConfigFile(root, options.configFile), cwd: root })).config;
    const handle = await startServers(config, {
      stateFile,
      scope: 'worker',
      slot,
      reuse: true,
      only: options.only,
      exportEnv: false,
    });
    try {
      await handle.detach();
      const endpoints: Record<string, Endpoint> = {};
      for (const entry of Object.values((await readState(stateFile)).servers)) {
        if (entry.slot === 0 && entry.status === 'running') endpoints[entry.name] = entry.endpoint;
      }
      Object.assign(endpoints, handle.endpoints);
      await use(workerServers(slot, endpoints, webServers));
    } finally {
      // After detach() this stops the in-process servers only; command servers belong to the run.
      await handle.stop();
    }
  };
  return [fixture, { scope: 'worker' }];
}

type ReportFixtureFunction = (
  args: { servers: WorkerServers },
  use: (value: void) => Promise<void>,
  testInfo: TestInfo,
) => Promise<void>;

/**
 * An automatic test-scoped Playwright fixture that tells a failing test about its servers (every server
 * of `servers`, the worker fixture of {@link workerServersFixture}, which it needs under that name):
 * each one that has died fails the test with a `ServerDeadError` (its slot, exit status, when it died,
 * its output, its kept log); what each other one wrote during the test is attached to it
 * (`testInfo.attach`, text, unless `EPHEMERAL_SERVERS_OUTPUT_ON_FAILURE=0`); the run's logs are kept
 * after it (docs/errors.md, "Kept logs"). A passing test costs one read of the state file.
 *
 * ```ts
 * export const test = base.extend<{ serverReport: void }, { servers: WorkerServers }>({
 *   servers: workerServersFixture(),
 *   serverReport: serverReportFixture(),
 * });
 * ```
 */
export function serverReportFixture(): [ReportFixtureFunction, { auto: true }] {
  const fixture: ReportFixtureFunction = async ({ servers }, use, testInfo) => {
    const stateFile = process.env[STATE_ENV];
    if (stateFile === undefined || stateFile === '') {
      await use();
      return;
    }
    const keys = Object.values(servers.endpoints).map((endpoint) => stateKey(endpoint.name, endpoint.slot));
    const start = markTestStart(stateFile, servers.slot);
    await use();
    if (testInfo.status === testInfo.expectedStatus) return;
    const { dead, outputs } = await reportFailedTest(stateFile, keys, start);
    for (const output of outputs) {
      await testInfo.attach(`server ${output.key} output`, {
        body: formatServerOutput(output),
        contentType: 'text/plain',
      });
    }
    const error = deadServersError(dead);
    if (error !== undefined) throw error;
  };
  return [fixture, { auto: true }];
}
