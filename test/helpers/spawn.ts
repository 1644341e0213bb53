/**
 * The one way the tests spawn a process and collect what it prints: `spawnCollected` (while it runs:
 * its output so far, `waitFor` a line, its end) and `runCollected` (to its end). Every test that runs
 * a runner, the CLI or a fixture script goes through here.
 */
import { spawn, type ChildProcess, type StdioPipe } from 'node:child_process';

/** How a spawned process ended, with everything it printed. */
export interface SpawnResult {
  /** Exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or `null`. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order. */
  output: string;
  /** Milliseconds from the spawn to the `close` event (both streams ended). */
  ms: number;
}

/** A process spawned by {@link spawnCollected}, while it runs. */
export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** What it printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  readonly output: string;
  /**
   * Resolves once `stream` (default: either) contains `text`; rejects, naming what it printed, if the
   * process closes first.
   */
  waitFor(text: string | RegExp, stream?: 'stdout' | 'stderr'): Promise<void>;
  /**
   * Resolves on `exit`: the process itself ended, although a descendant may still hold its stdout or
   * stderr open (then `done` waits for that descendant too).
   */
  exited: Promise<Pick<SpawnResult, 'code' | 'signal' | 'ms'>>;
  /** Resolves on `close`, both streams ended (rejects only if the spawn itself failed, e.g. ENOENT). */
  done: Promise<SpawnResult>;
}

export interface SpawnCollectedOptions {
  cwd?: string;
  /** The whole environment of the child. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * A process group of its own (`detached`), so that {@link killGroup} reaches its descendants and a
   * signal to its pid reaches it alone, as `kill -INT <pid>` would. @default false
   */
  detached?: boolean;
  /** `pipe` to write to its stdin (`child.stdin`). @default 'ignore' */
  stdin?: 'ignore' | 'pipe';
  /** Run as this user and group (Node's `spawn` options; needs root). @default this process's */
  uid?: number;
  gid?: number;
}

/** Spawns `command args` (no shell) with stdout and stderr piped and collected. */
export function spawnCollected(command: string, args: readonly string[], options: SpawnCollectedOptions = {}): Spawned {
  const startedAt = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: options.detached ?? false,
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] as [StdioPipe | 'ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const waiter of waiters) waiter();
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    output += chunk;
    notify();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    output += chunk;
    notify();
  });
  const exited = new Promise<Pick<SpawnResult, 'code' | 'signal' | 'ms'>>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, ms: Math.round(performance.now() - startedAt) }));
  });
  const done = new Promise<SpawnResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, output, ms: Math.round(performance.now() - startedAt) }),
    );
  });
  return {
    child,
    pid: child.pid!,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get output() {
      return output;
    },
    waitFor(text, stream) {
      const seen = (): boolean => {
        const haystack = stream === 'stderr' ? stderr : stream === 'stdout' ? stdout : output;
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
        const closed = (): void => {
          waiters.delete(check);
          if (seen()) resolve();
          else reject(new Error(`${command} ${args.join(' ')} closed before printing ${String(text)}:\n${output}`));
        };
        done.then(closed, reject);
      });
    },
    exited,
    done,
  };
}

/** Runs `command args` to its end; resolves with how it ended and what it printed. */
export function runCollected(
  command: string,
  args: readonly string[],
  options: SpawnCollectedOptions = {},
): Promise<SpawnResult> {
  return spawnCollected(command, args, options).done;
}

/**
 * Variables of the runner running our tests that must not reach a runner or owner the test spawns.
 * `EPHEMERAL_SERVERS_PROCFS` does: it is the machine setting the whole suite runs under (`.ci/run`'s
 * posix-backend pass), and a child on the other backend would not recognise the start times the test
 * recorded (its sweep would leave a stale run alone as unverified).
 */
const OUTER_RUNNER_ENV =
  /^(VITEST|JEST_|EPHEMERAL_SERVERS_(?!PROCFS$)|TEST_PARALLEL_INDEX|TEST_WORKER_INDEX|NODE_OPTIONS$|npm_lifecycle|npm_package)/;

/**
 * This process's environment without what a runner around it may have set (Vitest's and Jest's
 * variables, Playwright's worker indexes, any `EPHEMERAL_SERVERS_*` but the backend setting, `NODE_OPTIONS`,
 * npm's script variables), plus `extra`: what a runner or run owner spawned by a test starts from.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!OUTER_RUNNER_ENV.test(name)) env[name] = value;
  return { ...env, ...extra };
}

/** SIGKILLs the process group `pgid` (a {@link SpawnCollectedOptions.detached} child's pid); gone already is fine. */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
