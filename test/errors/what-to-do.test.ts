/**
 * Every error says what to do: for every code of `ErrorCode`, an error of that code (built as the
 * package builds it) ends its message with `What to do: <fix>` in one line, and docs/errors.md has a
 * row for the code whose fix column starts with that same fix.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CommandNotFoundError,
  ConfigError,
  ERROR_CODES,
  ERROR_FIXES,
  PlatformUnsupportedError,
  PortExhaustedError,
  PortInUseError,
  PortPermissionError,
  PortReservationError,
  ProcessTableError,
  ReadinessTimeoutError,
  RunConfigMismatchError,
  RunDirectoryError,
  ServerDaemonizedError,
  ServerDeadError,
  ServerExitedError,
  ServerNotFoundError,
  ServerStartError,
  SetupStepError,
  StartInterruptedError,
  StateChangeError,
  StateFileError,
  StopError,
  SupervisorUnreachableError,
  UnverifiedProcessError,
  type EphemeralServersError,
  type ErrorCode,
} from '../../src/errors.js';

const exit = { code: 1, signal: null };
/** One error per code, as the package raises it: a new code does not compile until it is added here. */
const samples: Record<ErrorCode, () => EphemeralServersError> = {
  ES_CONFIG_INVALID: () => new ConfigError([{ server: 'api', path: 'port', message: 'must be a number' }]),
  ES_PORT_IN_USE: () => new PortInUseError('api', '127.0.0.1', 4000, { pid: 1, command: 'init' }),
  ES_PORT_ACCESS: () => new PortPermissionError('api', '127.0.0.1', 80),
  ES_PORT_EXHAUSTED: () => new PortExhaustedError('api', 3, 'port 4000 was taken'),
  ES_COMMAND_NOT_FOUND: () => new CommandNotFoundError('api', ['nope']),
  ES_SERVER_EXITED: () => new ServerExitedError('api', exit, ['boom']),
  ES_SETUP_FAILED: () => new SetupStepError('db', 0, ['initdb'], exit, ['no']),
  ES_SERVER_DEAD: () =>
    new ServerDeadError('api', { code: null, signal: 'SIGKILL' }, ['bye'], {
      slot: 1,
      exitedAt: new Date().toISOString(),
    }),
  ES_START_FAILED: () => new ServerStartError('api', '`cwd` /nope is not a directory.'),
  ES_START_INTERRUPTED: () => new StartInterruptedError('SIGTERM'),
  ES_READINESS_TIMEOUT: () =>
    new ReadinessTimeoutError({
      server: 'api',
      probe: 'http GET /health',
      url: 'http://127.0.0.1:1',
      elapsedMs: 10,
      lastError: 'ECONNREFUSED',
      outputTail: [],
    }),
  ES_STOP_FAILED: () => new StopError([new Error('api@0: EPERM')]),
  ES_SERVER_NOT_FOUND: () => new ServerNotFoundError('ap', 1, ['api@1'], 'state.json'),
  ES_STATE_MISSING: () => new StateFileError('missing', undefined, 'No state file.'),
  ES_STATE_CORRUPT: () => new StateFileError('corrupt', 'state.json', 'Not JSON.'),
  ES_STATE_FOREIGN: () => new StateFileError('foreign', 'state.json', 'Owned by uid 0.'),
  ES_STATE_VERSION: () => new StateFileError('version', 'state.json', 'Version 9.'),
  ES_STATE_CHANGE_REJECTED: () => new StateChangeError('record', 'bad entry'),
  ES_SUPERVISOR_UNREACHABLE: () => new SupervisorUnreachableError('/tmp/run', 'ENOENT'),
  ES_SERVER_DAEMONIZED: () => new ServerDaemonizedError('nginx', [42]),
  ES_RUN_DIR: () => new RunDirectoryError('TMPDIR too long.', '/tmp/x'),
  ES_PORT_RESERVATION: () => new PortReservationError('Not a directory.', '/tmp/ports'),
  ES_PROCESS_TABLE: () => new ProcessTableError(['procfs: /proc/self/stat cannot be read (ENOENT)', 'ps: not found']),
  ES_PLATFORM_UNSUPPORTED: () => new PlatformUnsupportedError('win32'),
  ES_PROCESS_UNVERIFIED: () => new UnverifiedProcessError('api@0', 42, 'no start time recorded'),
  ES_RUN_CONFIG_MISMATCH: () =>
    new RunConfigMismatchError('state.json', [{ server: 'api', kind: 'changed', fields: ['env'] }]),
};

/** docs/errors.md's table: code → fix column. */
function documentedFixes(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8').split('\n')) {
    const match = /^\| `(ES_[A-Z_]+)` \|/.exec(line);
    if (match) rows.set(match[1]!, line.split(' | ').at(-1)!.replace(/ \|$/, ''));
  }
  return rows;
}

describe('every error says what to do', () => {
  it.each(ERROR_CODES)('%s: the message ends with the fix in one line, and docs/errors.md has it', (code) => {
    const error = samples[code]();
    expect(error.code).toBe(code);
    const lastLine = error.message.split('\n').at(-1)!;
    expect(lastLine).toBe(`  What to do: ${ERROR_FIXES[code]}`);
    // Exactly once: a message never says it twice.
    expect(error.message.split('What to do:').length).toBe(2);
    const documented = documentedFixes().get(code);
    expect(documented, `docs/errors.md has no row for ${code}`).toBeDefined();
    const fix = ERROR_FIXES[code];
    expect(
      documented!.startsWith(fix[0]!.toUpperCase() + fix.slice(1)),
      `docs/errors.md's fix for ${code}: ${documented}`,
    ).toBe(true);
  });

  it('docs/errors.md documents no code that does not exist', () => {
    expect([...documentedFixes().keys()].filter((code) => !(ERROR_CODES as readonly string[]).includes(code))).toEqual(
      [],
    );
  });

  it("StopError names the server of each failure: from the message, else from the error's `server`", async () => {
    const { UnverifiedProcessError } = await import('../../src/errors.js');
    const error = new StopError([
      new Error('api@0: kill EPERM'),
      new UnverifiedProcessError('db@1', 42, 'no start time recorded'),
    ]);
    expect(error.message).toContain('  - api@0: kill EPERM\n');
    expect(error.message).toContain('  - db@1: pid 42 is running but cannot be proven');
  });

  it('a message rebuilt from another process keeps one fix line', async () => {
    const { EphemeralServersError } = await import('../../src/errors.js');
    const original = samples.ES_SERVER_EXITED();
    expect(new EphemeralServersError(original.code, original.message).message).toBe(original.message);
  });
});
