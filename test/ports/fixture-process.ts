/**
 * Runs the real fixture scripts of test/fixtures/ as child processes (through tsx) and kills whatever
 * is still running in afterEach: a cleanup registry, drained by `killFixtures()`.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnCollected, type SpawnCollectedOptions } from '../helpers/spawn.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

export interface FixtureProcess {
  child: ChildProcess;
  pid: number;
  /** First stdout line, parsed as JSON; rejects when the process exits first. */
  firstLine: Promise<Record<string, unknown>>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

export function startFixture(
  name: string,
  args: readonly string[],
  options: Pick<SpawnCollectedOptions, 'uid' | 'gid'> = {},
): FixtureProcess {
  const spawned = spawnCollected(process.execPath, ['--import', 'tsx', fixturePath(name), ...args], {
    cwd: repoRoot,
    ...options,
  });
  running.add(spawned.child);
  // `close`, not `exit`: stdout and stderr are complete by then.
  const exited = spawned.done.then(({ code, signal }) => {
    running.delete(spawned.child);
    return { code, signal };
  });
  const firstLine = spawned.waitFor('\n', 'stdout').then(
    () => {
      const line = spawned.stdout.slice(0, spawned.stdout.indexOf('\n'));
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw new Error(`${name}: first line is not JSON: ${spawned.output}`, { cause: error });
      }
    },
    () =>
      exited.then(({ code, signal }) =>
        Promise.reject(new Error(`${name} exited (${code ?? signal}) before a line:\n${spawned.output}`)),
      ),
  );
  firstLine.catch(() => undefined); // observed by the tests that await it; avoid an unhandled rejection otherwise
  return { child: spawned.child, pid: spawned.pid, firstLine, output: () => spawned.output, exited };
}

/** Kills every fixture process still running and waits for them to exit. */
export async function killFixtures(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
