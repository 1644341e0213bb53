import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { spawnCollected } from '../helpers/spawn.js';
import type { CompiledFixtures } from './compile-fixtures.js';

/** A fixture script running under tsx in a child process. */
export interface FixtureProcess {
  child: ChildProcess;
  /** Resolves when the fixture printed `ready`. */
  ready: Promise<void>;
  /** Resolves when it exited, with everything it printed after `ready`. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Fixture processes that have not exited yet. */
const running = new Set<ChildProcess>();

/** Registers an `afterEach` that SIGKILLs the fixture processes a failed test left running. */
export function useFixtureCleanup(): void {
  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
    running.clear();
  });
}

/**
 * Starts `test/fixtures/<name>` with `node --import tsx`, or its compiled JavaScript with plain `node`
 * (see `compileFixtures`); its stdin is a pipe.
 */
export function runFixture(name: string, args: readonly string[], compiled?: CompiledFixtures): FixtureProcess {
  const nodeArgs = compiled
    ? [compiled.pathOf(name)]
    : ['--import', 'tsx', fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))];
  const spawned = spawnCollected(process.execPath, [...nodeArgs, ...args], { stdin: 'pipe' });
  running.add(spawned.child);
  // Resolves on `ready` or, if it never comes, at the exit (whose status tells the test what went wrong).
  const ready = spawned.waitFor(/^ready\n/, 'stdout').catch(() => undefined);
  const exited = spawned.done.then(({ code, signal, stdout, stderr }) => {
    running.delete(spawned.child);
    return { code, signal, stdout: stdout.replace(/^ready\n/, ''), stderr };
  });
  const child = spawned.child;
  return { child, ready, exited };
}

/** The last JSON line a fixture printed. */
export function lastJsonLine<T>(stdout: string): T {
  const line = stdout.trim().split('\n').at(-1);
  if (line === undefined) throw new Error('fixture printed nothing');
  return JSON.parse(line) as T;
}
