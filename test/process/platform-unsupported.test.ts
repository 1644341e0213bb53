// Native Windows is refused before anything is created: the backend choice is the one gate every
// entry point passes (createOwnedRun, joinRun, every process check). `platform` is a parameter of the
// choice, so the refusal is exercised here on Linux; the rest of the suite proves the other branches.
import { describe, expect, it } from 'vitest';
import { PlatformUnsupportedError } from '../../src/index.js';
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
    expect(error).toMatchObject({ code: 'ES_PLATFORM_UNSUPPORTED', platform: 'win32', name: 'PlatformUnsupportedError' });
    expect((error as Error).message).toContain('does not run on native Windows');
    expect((error as Error).message).toMatch(/What to do: run the tests under WSL 2/);
  });

  it('leaves the other platforms to the backends (this machine: linux)', () => {
    expect(selectBackend(undefined, 'linux').kind).toMatch(/^(procfs|posix)$/);
    expect(selectBackend(undefined, 'darwin').kind).toMatch(/^(procfs|posix)$/);
  });
});
