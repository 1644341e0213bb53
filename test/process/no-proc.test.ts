/**
 * A start and teardown where /proc is hidden from the process (Linux: a private mount namespace with an
 * empty tmpfs over /proc, as a hardened container can have). procfs cannot serve it; the posix backend
 * is chosen, and on Linux `ps` (procps) and lsof read /proc too, so neither works: the start fails at
 * once with ProcessTableError naming both reasons, before anything is spawned, and leaves nothing (no
 * server, no supervisor, no run directory). Before the platform backends, every process read as dead
 * there: a live server raised ServerDeadError and teardown "succeeded" leaving it running.
 * Needs root (unshare); uses dist/: `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_DIR_PREFIX } from '../../src/run/run-dir.js';
import { readProcCommandLine } from '../../src/platform/procfs-processes.js';

const run = promisify(execFile);
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const FIXTURE = here('./fixtures/start-servers.mjs');
const SERVER = here('../fixtures/server.mjs');
const isRoot = process.getuid?.() === 0;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-no-proc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the fixture, /proc hidden when `hideProc`, and parses its JSON line. */
async function startServersIn(options: {
  hideProc: boolean;
  env?: NodeJS.ProcessEnv;
}): Promise<{ name: string; result: Record<string, unknown> }> {
  const name = `srv-${randomUUID().slice(0, 8)}`;
  const argv = [process.execPath, FIXTURE, SERVER, join(dir, 'pids.txt'), name];
  const [file, args] = options.hideProc
    ? [
        'unshare',
        ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs none /proc && exec "$@"', 'sh', ...argv],
      ]
    : [process.execPath, argv.slice(1)];
  const { stdout } = await run(file, args, {
    env: { ...process.env, EPHEMERAL_SERVERS_STATE: undefined, TMPDIR: dir, ...options.env },
    timeout: 60_000,
  });
  return { name, result: JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown> };
}

/**
 * Nothing of the start is left: no process with its server's name or the temp dir (a supervisor's
 * run directory is in its command line) in its command line, no run directory.
 */
async function expectNothingLeft(name: string): Promise<void> {
  const pids = (await readdir('/proc')).map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
  expect(pids.filter((pid) => [name, dir].some((text) => readProcCommandLine(pid)?.includes(text)))).toEqual([]);
  expect((await readdir(dir)).filter((entry) => entry.startsWith(RUN_DIR_PREFIX))).toEqual([]);
}

describe('without /proc', () => {
  it.skipIf(!isRoot)(
    'a start fails with ProcessTableError naming why each backend cannot work, and leaves nothing',
    async () => {
      // Explicit both ways: CI runs this file again with EPHEMERAL_SERVERS_PROCFS=0 in its environment.
      for (const env of [{ EPHEMERAL_SERVERS_PROCFS: '' }, { EPHEMERAL_SERVERS_PROCFS: '0' }]) {
        const { name, result } = await startServersIn({ hideProc: true, env });
        expect(result).toEqual({
          error: {
            name: 'ProcessTableError',
            code: 'ES_PROCESS_TABLE',
            reasons: [
              expect.stringMatching(
                env.EPHEMERAL_SERVERS_PROCFS === '0'
                  ? /^procfs: EPHEMERAL_SERVERS_PROCFS=0$/
                  : /^procfs: \/proc\/self\/stat cannot be read \(ENOENT\)$/,
              ),
              expect.stringMatching(/^posix: `ps -o pid=,ppid= -p \d+` exited with \d+: .*proc/),
            ],
            message: expect.stringContaining('What to do: mount /proc'),
          },
        });
        await expectNothingLeft(name);
      }
    },
  );

  it('with /proc there and EPHEMERAL_SERVERS_PROCFS=0 but no `ps` on PATH: the same typed error', async () => {
    const { name, result } = await startServersIn({
      hideProc: false,
      env: { EPHEMERAL_SERVERS_PROCFS: '0', PATH: dir },
    });
    expect(result).toMatchObject({
      error: {
        code: 'ES_PROCESS_TABLE',
        reasons: ['procfs: EPHEMERAL_SERVERS_PROCFS=0', 'posix: `ps` is not on PATH'],
      },
    });
    await expectNothingLeft(name);
  });

  it('with /proc there: the same fixture starts and stops its server, on either backend (the control)', async () => {
    for (const env of [{ EPHEMERAL_SERVERS_PROCFS: '' }, { EPHEMERAL_SERVERS_PROCFS: '0' }]) {
      const { name, result } = await startServersIn({ hideProc: false, env });
      expect(result).toEqual({ started: true });
      await expectNothingLeft(name);
    }
  });
});
