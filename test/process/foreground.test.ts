/**
 * The CLI's foreground check on a real terminal (a pseudo-terminal from Python's `pty`), with each
 * platform backend: under `ephemeral-servers run` in an interactive shell, Ctrl+C reaches the CLI and
 * its command at once (they share the terminal's foreground process group), so the CLI must not
 * forward it: the command gets exactly one SIGINT, shuts down, and its exit code is the CLI's. (A
 * second SIGINT makes Vitest, Jest and Playwright give up their own graceful shutdown.)
 * Uses dist/: `npm run build` first.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_DIR_PREFIX } from '../../src/run/run-dir.js';
import { pidsInLog, waitUntilGone } from '../helpers/processes.js';

const run = promisify(execFile);
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));
const DRIVER = here('./fixtures/pty-driver.py');
const CLI = here('../../dist/cli.js');
const SERVER = here('../fixtures/server.mjs');
/** `--import` value that runs TypeScript from any cwd. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-foreground-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `argv` on a pseudo-terminal; types Ctrl+C once `interruptAfter` was printed. */
async function onTerminal(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  interruptAfter?: string,
): Promise<{ output: string; exit: { code?: number; signal?: number } }> {
  const flags = interruptAfter === undefined ? [] : ['--interrupt-after', interruptAfter];
  const { stdout } = await run('python3', [DRIVER, ...flags, '--', ...argv], {
    cwd: dir,
    env: { ...process.env, EPHEMERAL_SERVERS_STATE: undefined, ...env },
    timeout: 60_000,
  });
  const lines = stdout.trimEnd().split('\n');
  return {
    output: lines.slice(0, -1).join('\n'),
    exit: JSON.parse(lines.at(-1)!) as { code?: number; signal?: number },
  };
}

describe.each([
  { backend: 'procfs', setting: '' },
  { backend: 'posix', setting: '0' },
])('on a terminal, with the $backend backend', ({ setting }) => {
  const env = (): NodeJS.ProcessEnv => ({ EPHEMERAL_SERVERS_PROCFS: setting, TMPDIR: dir });

  it('sees the terminal foreground group', async () => {
    const { output } = await onTerminal(
      [process.execPath, '--import', TSX, here('./fixtures/print-foreground.ts')],
      env(),
    );
    expect(JSON.parse(output.trim())).toEqual({ procfs: true, posix: true });
  });

  it('`ephemeral-servers run`: one Ctrl+C is one SIGINT for the command, which shuts down; nothing is left', async () => {
    const pidFile = join(dir, 'pids.txt');
    await writeFile(
      join(dir, 'servers.config.mjs'),
      `export default ${JSON.stringify({ api: { command: ['node', SERVER, '--port', '{port}', '--name', 'api', '--pid-file', pidFile] } })};\n`,
    );
    // Counts its SIGINTs for 300 ms after the first, then exits 130 as a test runner would.
    const command = `let n = 0; process.on('SIGINT', () => { if (n++ === 0) setTimeout(() => { console.log('SIGINTs: ' + n); process.exit(130); }, 300); }); console.log('command ready'); setInterval(() => {}, 1000);`;
    const { output, exit } = await onTerminal(
      [process.execPath, CLI, 'run', '--', 'node', '-e', command],
      env(),
      'command ready',
    );
    expect(output).toContain('SIGINTs: 1');
    expect(exit).toEqual({ code: 130 });
    expect(await waitUntilGone(pidsInLog(pidFile, 'api'), 5000)).toEqual([]);
    expect((await readdir(dir)).filter((name) => name.startsWith(RUN_DIR_PREFIX))).toEqual([]);
  });
});
