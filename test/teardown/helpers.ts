import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { RUN_DIR_PREFIX } from '../../src/run/run-dir.js';
import { isLive } from '../helpers/processes.js';
import { childEnv, spawnCollected } from '../helpers/spawn.js';

/** `--import` value that runs TypeScript fixtures from any cwd. */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Everything a test started, killed in `cleanup()`: process groups of spawned owners, and stray pids. */
export class Sandbox {
  readonly dir: string;
  readonly #groups = new Set<number>();
  readonly #pids = new Set<number>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** A private temp dir: used as TMPDIR of the owners, so their run dirs and sweeps stay in it. */
  static async create(): Promise<Sandbox> {
    return new Sandbox(await mkdtemp(join(tmpdir(), 'es-teardown-')));
  }

  /** An environment for a child owner: no variables of the outer Vitest run (childEnv), TMPDIR = the sandbox. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return childEnv({ TMPDIR: this.dir, ...extra });
  }

  /** Spawns `node ...args` detached (its own process group, killed by `cleanup()`). */
  spawnNode(
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    cwd?: string,
  ): {
    child: ChildProcess;
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    output: () => string;
  } {
    const spawned = spawnCollected(process.execPath, args, { env, cwd, detached: true });
    this.#groups.add(spawned.pid);
    const exited = spawned.exited.then(({ code, signal }) => ({ code, signal }));
    return { child: spawned.child, exited, output: () => spawned.output };
  }

  /** Pids to SIGKILL in `cleanup()` if a test failed half-way (servers, supervisors). */
  track(...pids: number[]): void {
    for (const pid of pids) this.#pids.add(pid);
  }

  /** Run directories currently in the sandbox. */
  runDirs(): string[] {
    return readdirSync(this.dir).filter((name) => name.startsWith(RUN_DIR_PREFIX));
  }

  async cleanup(): Promise<void> {
    for (const pgid of this.#groups) signal(-pgid);
    for (const pid of this.#pids) if (isLive(pid)) signal(pid);
    await rm(this.dir, { recursive: true, force: true });
  }
}

function signal(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Polls `probe` every 10 ms until it returns something other than `undefined`/`false`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Reads a JSON file once it exists and parses. */
export function readJsonIfThere<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  return text === '' ? undefined : (JSON.parse(text) as T);
}

/**
 * Polls `/proc` every 2 ms until none of `pids` is live; returns the milliseconds from `sinceMs` (a
 * `performance.now()` taken right before the kill) until the last one was seen gone, and those still
 * live after `timeoutMs`.
 */
export async function timeUntilGone(
  pids: readonly number[],
  sinceMs: number,
  timeoutMs = 10_000,
): Promise<{ ms: number; live: number[] }> {
  for (;;) {
    const live = pids.filter(isLive);
    const ms = performance.now() - sinceMs;
    if (live.length === 0 || ms > timeoutMs) return { ms, live };
    await sleep(2);
  }
}

/** Lines of a file (empty when it does not exist). */
export function readLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** Logs a figure for the closing note. */
export function report(line: string): void {
  process.stdout.write(`[teardown figures] ${line}\n`);
}
