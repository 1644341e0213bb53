import { fileURLToPath } from 'node:url';
import { spawnCollected, type Spawned, type SpawnResult } from '../helpers/spawn.js';

/** The built CLI: tests run what users install (`npm run build` first). */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const SERVER_SCRIPT = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

export type CliResult = Pick<SpawnResult, 'code' | 'signal' | 'stdout' | 'stderr'>;
/** A CLI started by {@link startCli}, while it runs. */
export type RunningCli = Spawned;

/**
 * Spawns `node dist/cli.js …` in its own process group (so a test's SIGINT reaches the CLI alone, as
 * `kill -INT <pid>` would, and nothing looks like a terminal's foreground group).
 */
export function startCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Spawned {
  return spawnCollected(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, EPHEMERAL_SERVERS_STATE: undefined, ...options.env },
    detached: true,
  });
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return startCli(args, options).done;
}
