import type { TestAPI, TestContext } from 'vitest';
import type { ServersConfig } from '../../config/types.js';
import type { Endpoint } from '../../endpoint.js';
import { ConfigError } from '../../errors.js';
import { recordUsedServer, usedServers } from '../../state/used-servers.js';
import { stateKey } from '../../state/schema.js';
import { deadServersError, formatServerOutput, markTestStart, reportFailedTest } from '../failure-report.js';
import { acquireWorkerServers, releaseWorkerServers, type WorkerServers } from './worker-servers.js';
import type { ServerName } from './types.js';

/** Name of the fixture that holds this worker's servers (see {@link WorkerServers}). */
export const SERVERS_FIXTURE = 'servers';
/** Name of the automatic test fixture that reports on the servers when a test fails (see {@link serverFixtures}). */
export const SERVER_REPORT_FIXTURE = 'serverReport';

/** Fixture names Vitest reserves for the test context: a server cannot be called like one of them. */
const RESERVED_NAMES = new Set([
  SERVERS_FIXTURE,
  SERVER_REPORT_FIXTURE,
  'task',
  'signal',
  'onTestFailed',
  'onTestFinished',
  'skip',
  'annotate',
  'expect',
]);

/** The values {@link serverFixtures} adds to the test context: one endpoint per server, and `servers`. */
export type ServerFixtureValues<C extends ServersConfig> = { [K in ServerName<C>]: Endpoint } & {
  servers: WorkerServers<C>;
  serverReport: void;
};

/** A worker-scoped Vitest fixture (the tuple form `[fn, { scope: 'worker' }]`). */
export type WorkerFixture<T> = [
  (context: never, use: (value: T) => Promise<void>) => Promise<void>,
  { scope: 'worker' },
];

/** An automatic test-scoped Vitest fixture (the tuple form `[fn, { auto: true }]`). */
export type AutoFixture = [(context: never, use: (value: void) => Promise<void>) => Promise<void>, { auto: true }];

/** The fixtures object {@link serverFixtures} returns, ready for `test.extend`. */
export type ServerFixtures<C extends ServersConfig> = {
  [K in Exclude<keyof ServerFixtureValues<C>, 'serverReport'>]: WorkerFixture<ServerFixtureValues<C>[K]>;
} & {
  serverReport: AutoFixture;
};

/**
 * When a test fails: every server this worker used (through a fixture, `getEndpoint` or supertest by name)
 * that has died is added to the failure as a `ServerDeadError` (its slot, exit status, when it died, its
 * output, its kept log), and what each other one wrote during the test is recorded as a test artifact
 * (`recordArtifact`, type `ephemeral-servers:output`) and printed to the test's stderr. The run's logs
 * are kept (see docs/errors.md, "Kept logs"). A passing test costs one read of the state file.
 */
async function reportOnFailure(
  context: Pick<TestContext, 'task' | 'onTestFailed'> & { servers: WorkerServers },
  use: (value: void) => Promise<void>,
): Promise<void> {
  const { stateFile, slot } = context.servers;
  const start = markTestStart(stateFile, slot);
  context.onTestFailed(async () => {
    const { dead, outputs } = await reportFailedTest(stateFile, usedServers(stateFile), start);
    if (outputs.length > 0) {
      // `recordArtifact` came with Vitest 4; the output is printed either way.
      const { recordArtifact } = (await import('vitest')) as {
        recordArtifact?: typeof import('vitest').recordArtifact;
      };
      for (const output of outputs) {
        console.error(formatServerOutput(output));
        await recordArtifact?.(context.task, {
          type: 'ephemeral-servers:output',
          message: `server ${output.key} during this test (full log: ${output.logPath})`,
          attachments: [{ contentType: 'text/plain', body: output.lines.join('\n') }],
        } as never);
      }
    }
    const error = deadServersError(dead);
    if (error !== undefined) throw error;
  });
  await use();
}

/**
 * Vitest fixtures for a servers config, all `scope: 'worker'`: `servers` (this worker's
 * {@link WorkerServers}) and one fixture per server, named after it, whose value is its
 * {@link Endpoint} for the current worker slot. A `worker`-scoped server starts the first time a test
 * of the worker asks for its fixture (Vitest only sets up the fixtures a test destructures); with
 * `isolate: true`, a later test file in the same slot reuses the command server the first one
 * started (after checking it is alive and the same process). In-process servers stop when the worker
 * does; command servers when the run ends (the global setup stops them).
 *
 * Requires the global setup (`ephemeral-servers/vitest/setup`): it owns the run the servers join.
 *
 * @example
 * ```ts
 * import { test as base } from 'vitest';
 * import { serverFixtures } from 'ephemeral-servers/vitest';
 * import servers from '../servers.config';
 * export const test = base.extend<ServerFixtureValues<typeof servers>>(serverFixtures(servers));
 * test('lists users', async ({ api }) => { await fetch(`${api.url}/users`); });
 * ```
 * Plus `serverReport`, automatic and test-scoped: when a test fails, it adds a `ServerDeadError` for
 * each server this worker used that has died, and records what the live ones wrote during the test
 * (see docs/vitest.md, "When a test fails").
 *
 * @throws ConfigError when servers are named like a built-in of the test context (`task`, `signal`,
 *   `skip`, `annotate`, `onTestFailed`, `onTestFinished`, `expect`), `servers` or `serverReport`: an
 *   issue per server.
 */
export function serverFixtures<const C extends ServersConfig>(config: C): ServerFixtures<C> {
  const fixtures: Record<string, unknown> = {
    [SERVERS_FIXTURE]: [
      // Vitest reads the fixtures a fixture needs from its source: the first parameter must be an object pattern.
      async ({}, use: (value: WorkerServers<C>) => Promise<void>) => {
        const servers = acquireWorkerServers(config);
        try {
          await use(servers);
        } finally {
          await releaseWorkerServers(servers);
        }
      },
      { scope: 'worker' },
    ],
    [SERVER_REPORT_FIXTURE]: [
      // Vitest reads the fixtures a fixture needs from its source: the first parameter must be an object pattern.
      async (
        { task, onTestFailed, servers }: Pick<TestContext, 'task' | 'onTestFailed'> & { servers: WorkerServers },
        use: (value: void) => Promise<void>,
      ) => reportOnFailure({ task, onTestFailed, servers }, use),
      { auto: true },
    ],
  };
  const clashes = Object.keys(config).filter((name) => RESERVED_NAMES.has(name));
  if (clashes.length > 0) {
    throw new ConfigError(
      clashes.map((name) => ({
        server: name,
        path: '',
        message: `the name \`${name}\` clashes with a Vitest test context property, so it cannot be a fixture: rename the server in the servers config.`,
      })),
    );
  }
  for (const name of Object.keys(config)) {
    fixtures[name] = [
      async ({ servers }: { servers: WorkerServers<C> }, use: (value: Endpoint) => Promise<void>) => {
        const endpoint = await servers.start(name as ServerName<C>);
        recordUsedServer(servers.stateFile, stateKey(name, endpoint.slot));
        await use(endpoint);
      },
      { scope: 'worker' },
    ];
  }
  return fixtures as ServerFixtures<C>;
}

/**
 * `test.extend(serverFixtures(config))`, typed: the returned `test` has every server of `config` as a
 * fixture (its {@link Endpoint}) plus `servers`. Chain `.extend(...)` on it for your own fixtures.
 *
 * @example
 * ```ts
 * import { test as base } from 'vitest';
 * import { withServers } from 'ephemeral-servers/vitest';
 * import servers from '../servers.config';
 * export const test = withServers(base, servers);
 * ```
 * @throws ConfigError as {@link serverFixtures} does.
 */
export function withServers<Context, const C extends ServersConfig>(
  test: TestAPI<Context>,
  config: C,
): TestAPI<Context & ServerFixtureValues<C>> {
  return (test.extend as (fixtures: unknown) => unknown)(serverFixtures(config)) as TestAPI<
    Context & ServerFixtureValues<C>
  >;
}
