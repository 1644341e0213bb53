import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI: tests run what users install (`npm run build` first). */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const SERVER_SCRIPT = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when stdout or stderr contains `text`; rejects if the CLI exits first. */
  waitFor(text: string | RegExp, stream?: 'stdout' | 'stderr'): Promise<void>;
  done: Promise<CliResult>;
}

/**
 * Spawns `node dist/cli.js …` in its own process group (so a test's SIGINT reaches the CLI alone, as
 * `kill -INT <pid>` would, and nothing looks like a terminal's foreground group).
 */
export function startCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: { ...process.env, EPHEMERAL_SERVERS_STATE: undefined, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const waiter of waiters) waiter();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitFor(text, stream) {
      const seen = (): boolean => {
        const haystack = stream === 'stderr' ? stderr : stream === 'stdout' ? stdout : stdout + stderr;
        return typeof text === 'string' ? haystack.includes(text) : text.test(haystack);
      };
      return new Promise<void>((resolve, reject) => {
        if (seen()) return resolve();
        const check = (): void => {
          if (!seen()) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        void done.then(() => {
          waiters.delete(check);
          if (seen()) resolve();
          else reject(new Error(`CLI exited before printing ${String(text)}.\nstdout: ${stdout}\nstderr: ${stderr}`));
        });
      });
    },
    done,
  };
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return startCli(args, options).done;
}
