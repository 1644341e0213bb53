import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StopError } from '../errors.js';
import { keptLogsRoot } from '../logs/kept-logs.js';
import { readProcessStartTime } from '../process/process-identity.js';
import { platformBackend } from '../platform/select-backend.js';
import { STATE_ENV } from '../state/state-path.js';
import type { StopAllResult } from './protocol.js';
import { removeRunDirectory } from './remove-run-dir.js';
import { createRunDirectory, runPaths, type RunPaths } from './run-dir.js';
import { spawnSupervisor, type SupervisorHandle } from './spawn-supervisor.js';
import { supervisorFor, type SupervisorClient } from './supervisor-client.js';
import { sweepStaleRuns } from './sweep-stale-runs.js';

/** One invocation of a test runner: a private run directory holding the state file, the logs and the supervisor's socket. */
export interface Run extends RunPaths {
  runId: string;
}

/** A run this process owns: it created it and its supervisor watches this process. */
export interface OwnedRun {
  readonly run: Run;
  readonly client: SupervisorClient;
  /** Synchronous: if this process dies now, the supervisor SIGKILLs everything at once (a second Ctrl+C). */
  urgent(): void;
  /**
   * Stops every command server still recorded (of `scope`, when given), in reverse dependency order,
   * from the supervisor's view of the run: whatever happened to the state file.
   * @throws StopError naming exactly the servers that could not be stopped.
   */
  stopAll(scope?: 'run' | 'worker'): Promise<void>;
  /** Ends the run: the supervisor removes the run directory and exits; restores `EPHEMERAL_SERVERS_STATE`. Idempotent. */
  end(): Promise<void>;
}

/** Options of {@link createOwnedRun}. */
export interface CreateOwnedRunOptions {
  /** Set `EPHEMERAL_SERVERS_STATE` in `process.env` for workers and child processes (restored by `end()`). @default true */
  exportEnv?: boolean;
  /** Reap the leftovers of dead runs first (see `sweepStaleRuns`). @default false */
  sweep?: boolean;
}

/**
 * Creates a run owned by this process: the run directory (see `createRunDirectory`), a fresh run id, and
 * its supervisor (see `spawnSupervisor`), which writes the state file and from then on stops the run's
 * servers if this process dies by any means. The one way a run is created: `startRun` and `startServers`
 * (without a run to join) both call it.
 *
 * @throws PlatformUnsupportedError (native Windows), ProcessTableError (no way to inspect processes),
 *   RunDirectoryError, SupervisorUnreachableError; nothing is left behind.
 */
export async function createOwnedRun(options: CreateOwnedRunOptions = {}): Promise<OwnedRun> {
  // Before anything is created: an unsupported platform, or no way to check a process's identity.
  platformBackend();
  if (options.sweep === true) await sweepStaleRuns();
  const paths = await createRunDirectory();
  const run: Run = { ...paths, runId: randomUUID() };
  let supervisor: SupervisorHandle;
  try {
    supervisor = await spawnSupervisor(paths, {
      runDir: run.runDir,
      runId: run.runId,
      owner: { pid: process.pid, startTime: readProcessStartTime(process.pid) },
    });
  } catch (error) {
    await removeRunDirectory(run.runDir);
    throw error;
  }
  const client = supervisorFor(run.stateFile);
  const exportEnv = options.exportEnv !== false;
  const previousEnv = process.env[STATE_ENV];
  if (exportEnv) process.env[STATE_ENV] = run.stateFile;
  let ending: Promise<void> | undefined;
  return {
    run,
    client,
    urgent: () => supervisor.urgent(),
    async stopAll(scope) {
      await stopRecordedServers(run.stateFile, scope === undefined ? {} : { scope });
    },
    end() {
      ending ??= (async () => {
        try {
          await supervisor.end(() => client.request('shutdown', {}));
        } finally {
          // The supervisor removes the directory; if it could not be reached, this process does.
          await removeRunDirectory(run.runDir);
          const kept = join(keptLogsRoot(), basename(run.runDir));
          if (existsSync(kept))
            process.stderr.write(`ephemeral-servers: the servers' logs of this run are kept in ${kept}\n`);
          if (exportEnv && process.env[STATE_ENV] === run.stateFile) {
            if (previousEnv === undefined) delete process.env[STATE_ENV];
            else process.env[STATE_ENV] = previousEnv;
          }
        }
      })();
      return ending;
    },
  };
}

/**
 * A run this process joins: another process owns it.
 * @throws PlatformUnsupportedError (native Windows), ProcessTableError (no way to inspect processes).
 */
export function joinRun(stateFile: string): { run: Omit<Run, 'runId'>; client: SupervisorClient } {
  platformBackend();
  return { run: runPaths(dirname(stateFile)), client: supervisorFor(stateFile) };
}

/**
 * Stops the servers recorded in a run, from any process of it (the CLI, a script): every command server
 * (of `scope`, when given) in reverse dependency order, each with its stop signal then SIGKILL after its
 * `stopTimeoutMs`; entries of in-process servers whose host is gone are removed. Goes through the
 * run's supervisor, which is their parent.
 *
 * @param stateFile The run's state file.
 * @returns The keys stopped and those already gone.
 * @throws StopError naming the servers that could not be stopped; SupervisorUnreachableError.
 */
export async function stopRecordedServers(
  stateFile: string,
  options: { scope?: 'run' | 'worker' } = {},
): Promise<Omit<StopAllResult, 'failed'>> {
  const { stopped, alreadyGone, failed } = await supervisorFor(stateFile).request('stopAll', options);
  if (failed.length > 0) throw new StopError(failed.map(({ key, message }) => new Error(`${key}: ${message}`)));
  return { stopped, alreadyGone };
}
