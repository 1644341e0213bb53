import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { childEnv, runCollected } from '../../helpers/spawn.js';

export const projectDir = fileURLToPath(new URL('./fixtures/project/', import.meta.url));
export const vitestBin = fileURLToPath(new URL('../../../node_modules/vitest/vitest.mjs', import.meta.url));

/** What one spec file of the fixture project saw (a line of $RESULTS). */
export interface SpecResult {
  file: string;
  slot: number;
  pid: number;
  stateFile: string;
  ports: Record<'cmd' | 'dep' | 'inproc' | 'shared', number>;
}

export interface VitestRun {
  code: number | null;
  output: string;
  /** Private temp dir: TMPDIR of the run (so its run directory lands here), results and boots files. */
  dir: string;
  results: SpecResult[];
  /** `[name, pid]` of every server boot, in order. */
  boots: [string, number][];
}

/** Runs `vitest run` on the fixture project in a child process, with its own TMPDIR. */
export async function runFixtureVitest(args: readonly string[], env: Record<string, string> = {}): Promise<VitestRun> {
  const dir = await mkdtemp(join(tmpdir(), 'es-vitest-'));
  const results = join(dir, 'results.jsonl');
  const boots = join(dir, 'boots.txt');
  const { code, signal, output } = await runCollected(
    process.execPath,
    [vitestBin, 'run', '--root', projectDir, ...args],
    {
      cwd: projectDir,
      env: childEnv({
        TMPDIR: dir,
        RESULTS: results,
        BOOTS: boots,
        NO_COLOR: '1',
        EPHEMERAL_SERVERS_DEBUG: '1',
        ...env,
      }),
    },
  );
  const read = (path: string) =>
    existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').filter(Boolean) : [];
  return {
    code: code ?? (signal ? 128 : null),
    output,
    dir,
    results: read(results).map((line) => JSON.parse(line) as SpecResult),
    boots: read(boots).map((line) => {
      const match = /^(\S+) pid=(\d+)$/.exec(line);
      return [match![1]!, Number(match![2])];
    }),
  };
}

/** Run directories left in `dir` (the run's TMPDIR). */
export function leftoverRunDirs(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('ephemeral-servers-run-'));
}

/**
 * Run directories still in `dir` after waiting up to `timeoutMs` for them to go: when Vitest exits
 * without awaiting its teardown, the run's supervisor removes the directory once it has stopped the servers.
 */
export async function leftoverRunDirsAfter(dir: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = performance.now() + timeoutMs;
  while (leftoverRunDirs(dir).length > 0 && performance.now() < deadline) await sleep(20);
  return leftoverRunDirs(dir);
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
