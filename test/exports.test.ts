// The runtime names of every entry of the package, pinned: adding or removing an export is a decision
// (the root exports only what README.md and docs/ teach, the errors, and the types users need; see
// src/index.ts), not a side effect. Against the built package, ESM and CommonJS, as users load it.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const ERRORS = [
  'CommandNotFoundError',
  'ConfigError',
  'ERROR_CODES',
  'ERROR_FIXES',
  'EphemeralServersError',
  'PlatformUnsupportedError',
  'PortExhaustedError',
  'PortInUseError',
  'PortPermissionError',
  'PortReservationError',
  'ProcessTableError',
  'ReadinessTimeoutError',
  'RunConfigMismatchError',
  'RunDirectoryError',
  'ServerDaemonizedError',
  'ServerDeadError',
  'ServerExitedError',
  'ServerNotFoundError',
  'ServerStartError',
  'SetupStepError',
  'StateChangeError',
  'StateFileError',
  'StopError',
  'SupervisorUnreachableError',
  'UnverifiedProcessError',
];

/** dist file (without extension) → its runtime export names. */
const ENTRIES: Record<string, string[]> = {
  index: [
    ...ERRORS,
    'CONFIG_ENV',
    'STATE_ENV',
    'Wait',
    'defineServers',
    'getEndpoint',
    'startRun',
    'startServers',
    'sweepStaleRuns',
  ],
  vitest: ['DEBUG_ENV', 'PROVIDE_KEY', 'SERVERS_FIXTURE', 'getEndpoint', 'serverFixtures', 'withServers'],
  'vitest-setup': ['createGlobalSetup', 'default'],
  jest: ['ENDPOINTS_KEY', 'SERVERS_GLOBAL', 'getEndpoint'],
  'jest-environment': ['EphemeralServersEnvironment', 'default'],
  'jest-global-setup': ['createGlobalSetup', 'default'],
  'jest-global-teardown': ['default'],
  playwright: [
    'PORTS_ENV',
    'createGlobalSetup',
    'default',
    'defineWebServers',
    'globalSetup',
    'serverReportFixture',
    'workerServersFixture',
  ],
  supertest: ['agent', 'request', 'resolveTargetUrl'],
};

const dist = new URL('../dist/', import.meta.url);
const require = createRequire(import.meta.url);
const names = (module: object): string[] =>
  Object.keys(module)
    .filter((name) => name !== '__esModule')
    .sort();

describe('package exports', () => {
  it.each(Object.keys(ENTRIES))('%s exports exactly its pinned names, in ESM and CommonJS', async (entry) => {
    const esm = names((await import(new URL(`${entry}.js`, dist).href)) as object);
    expect(esm).toEqual([...ENTRIES[entry]!].sort());
    // Vitest refuses to be require()d (its CommonJS entry throws), so its adapter is loaded as ESM only.
    if (entry !== 'vitest') expect(names(require(new URL(`${entry}.cjs`, dist).pathname) as object)).toEqual(esm);
  });

  it('the root lookup is synchronous: getEndpoint returns an endpoint, not a promise', async () => {
    const { getEndpoint, StateFileError } = (await import(
      new URL('index.js', dist).href
    )) as typeof import('../src/index.js');
    // Outside a run: the typed error, thrown at the call (not a rejected promise).
    const previous = process.env.EPHEMERAL_SERVERS_STATE;
    delete process.env.EPHEMERAL_SERVERS_STATE;
    try {
      expect(() => getEndpoint('api')).toThrow(StateFileError);
    } finally {
      if (previous !== undefined) process.env.EPHEMERAL_SERVERS_STATE = previous;
    }
  });
});
