import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SupervisorUnreachableError } from '../errors.js';
import { SUPERVISOR_FILE_NAME, SUPERVISOR_LOG_NAME, type RunPaths } from './run-dir.js';

/** What a supervisor is started with (its argv, as JSON). */
export interface SupervisorInit {
  runDir: string;
  runId: string;
  /** The run owner: the process whose pipe the supervisor watches. */
  owner: { pid: number; startTime?: string | undefined };
  /** Start from the last state file and adopt its servers (the previous supervisor died). */
  adopt: boolean;
}

/** The owner's side of a run's supervisor. */
export interface SupervisorHandle {
  /**
   * Synchronous, best effort: if this process dies now, the supervisor must SIGKILL everything at once
   * rather than stop gracefully (a second Ctrl+C).
   */
  urgent(): void;
  /**
   * Ends the run cleanly: no restart from here on, `shutdown` is sent (the supervisor removes the run
   * directory and exits), then the pipe is closed. Idempotent.
   * @param shutdown Sends the `shutdown` request; its error is rethrown after the pipe is closed.
   */
  end(shutdown: () => Promise<unknown>): Promise<void>;
}

/** Identity of a supervisor as recorded in `<runDir>/supervisor.json`. */
export interface SupervisorIdentity {
  pid: number;
  startTime?: string | undefined;
  runId?: string | undefined;
}

/**
 * The argv (after `node`) that runs the supervisor: `supervisor.js` (or `.cjs`) next to the built
 * module that holds this code; from `src/` (tests, through tsx or Vitest), `src/run/supervisor-main.ts`
 * under `--import tsx`.
 */
export function resolveSupervisorArgs(moduleUrl: string = import.meta.url): string[] {
  const here = fileURLToPath(moduleUrl);
  if (/\.[cm]?tsx?$/.test(here)) {
    const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
    return ['--import', tsx, join(dirname(here), '..', 'run', 'supervisor-main.ts')];
  }
  return [join(dirname(here), here.endsWith('.cjs') ? 'supervisor.cjs' : 'supervisor.js')];
}

/** Starts one supervisor process and resolves once it printed `ready` (the state file and socket exist). */
async function startProcess(paths: RunPaths, init: SupervisorInit): Promise<ChildProcess> {
  const env = { ...process.env };
  // Plain Node: no inspector port, no loader of the host (it brings its own when needed).
  delete env.NODE_OPTIONS;
  const logFd = openSync(join(paths.runDir, SUPERVISOR_LOG_NAME), 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...resolveSupervisorArgs(), JSON.stringify(init)], {
      detached: true,
      stdio: ['pipe', 'pipe', logFd],
      env,
      windowsHide: true,
    });
  } finally {
    closeSync(logFd);
  }
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!output.includes('ready\n')) return;
      cleanup();
      resolve();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(
        new SupervisorUnreachableError(
          paths.runDir,
          `the supervisor exited while starting (${signal ?? `exit code ${code}`}); see ${join(paths.runDir, SUPERVISOR_LOG_NAME)}`,
        ),
      );
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(
        new SupervisorUnreachableError(paths.runDir, `could not spawn the supervisor: ${error.message}`, {
          cause: error,
        }),
      );
    };
    const cleanup = (): void => {
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
  child.stdout!.destroy();
  // Never keeps this process alive: the supervisor lives for the run, not the other way round.
  child.unref();
  (child.stdin as unknown as { unref(): void }).unref();
  return child;
}

/**
 * Spawns the supervisor of a run: `process.execPath` running the supervisor script, detached into its
 * own session (a terminal's Ctrl+C does not reach it), stdin a pipe from this process, stderr appended
 * to `<runDir>/supervisor.log`. Resolves once it is ready. Neither the child nor the pipe keeps this
 * process alive.
 *
 * If the supervisor dies while the run lives (killed from outside), a new one is started at once from
 * the last state file; it adopts the servers by identity. Clients reconnect to it on their own.
 *
 * @throws SupervisorUnreachableError when the supervisor cannot be spawned or exits while starting.
 */
export async function spawnSupervisor(paths: RunPaths, init: Omit<SupervisorInit, 'adopt'>): Promise<SupervisorHandle> {
  let child = await startProcess(paths, { ...init, adopt: false });
  let released = false;
  let open = true;
  const attach = (current: ChildProcess): void => {
    // EPIPE when the supervisor died: the exit handler below restarts it.
    current.stdin!.on('error', () => undefined);
    current.once('exit', () => {
      if (released || current !== child) return;
      startProcess(paths, { ...init, adopt: true }).then(
        (next) => {
          child = next;
          if (released) next.stdin!.end();
          else attach(next);
        },
        (error: unknown) =>
          process.emitWarning(
            `ephemeral-servers: the supervisor of ${paths.runDir} died and could not be restarted: ${String(error)}`,
          ),
      );
    });
  };
  attach(child);
  return {
    urgent() {
      // A pipe write with an empty queue is attempted synchronously by libuv: it lands even on the way out.
      if (open && child.stdin!.writable) child.stdin!.write('urgent\n');
    },
    async end(shutdown) {
      if (released) return;
      released = true;
      try {
        await shutdown();
      } finally {
        open = false;
        child.stdin!.end();
      }
    },
  };
}

/** Reads `<runDir>/supervisor.json`, or `undefined` when it is missing or not ours. */
export async function readSupervisorIdentity(runDir: string): Promise<SupervisorIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(join(runDir, SUPERVISOR_FILE_NAME), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const data = JSON.parse(text) as Partial<SupervisorIdentity>;
    if (typeof data.pid !== 'number' || !Number.isInteger(data.pid) || data.pid <= 0) return undefined;
    return {
      pid: data.pid,
      startTime: typeof data.startTime === 'string' ? data.startTime : undefined,
      runId: typeof data.runId === 'string' ? data.runId : undefined,
    };
  } catch (error) {
    // Written atomically, so only a hand-edited file lands here: as if there were no supervisor.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
