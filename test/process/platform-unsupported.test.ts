// Native Windows is refused before anything is created: the backend choice is the one gate every
// entry point passes (createOwnedRun, joinRun, every process check). `platform` is a parameter of the
// choice, so the refusal is exercised here on Linux; the rest of the suite proves the other branches.
import { describe, expect, it } from 'vitest';
import { ConfigError, PlatformUnsupportedError } from '../../src/index.js';
import { selectBackend } from '../../src/platform/select-backend.js';

describe('native Windows', () => {
  it('is refused with PlatformUnsupportedError, whatever the system has, and the message says what to do', () => {
    let error: unknown;
    try {
      selectBackend(undefined, 'win32');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PlatformUnsupportedError);
    expect(error).toMatchObject({
      code: 'ES_PLATFORM_UNSUPPORTED',
      platform: 'win32',
      name: 'PlatformUnsupportedError',
    });
    expect((error as Error).message).toContain('does not run on native Windows');
    expect((error as Error).message).toMatch(/What to do: run the tests under WSL 2/);
  });

  it('leaves the other platforms to the backends (this machine: linux)', () => {
    expect(selectBackend(undefined, 'linux').kind).toMatch(/^(procfs|posix)$/);
    expect(selectBackend(undefined, 'darwin').kind).toMatch(/^(procfs|posix)$/);
  });
});

describe('EPHEMERAL_SERVERS_PROCFS', () => {
  it('takes 0, 1, empty or unset; anything else is a ConfigError naming the variable, the value and the accepted values', () => {
    for (const setting of [undefined, '', '1'])
      expect(selectBackend(setting, 'linux').kind).toMatch(/^(procfs|posix)$/);
    expect(selectBackend('0', 'linux').kind).toBe('posix');
    let error: unknown;
    try {
      selectBackend('yes', 'linux');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'ES_CONFIG_INVALID', issues: [{ path: 'EPHEMERAL_SERVERS_PROCFS' }] });
    expect((error as Error).message).toContain(
      'environment variable EPHEMERAL_SERVERS_PROCFS is "yes": accepted values are 0 (use ps, lsof and sysctl), 1 (use /proc when it works), or empty or unset',
    );
  });
});
