import { spawn } from 'node:child_process';
import { loadServersConfig } from '../config/load-config.js';
import { validateConfig } from '../config/validate-config.js';
import { startRun, type RunOwner } from '../lifecycle/start-run.js';
import { stopRecordedServers } from '../run/owned-run.js';
import { STATE_ENV } from '../state/index.js';
import { checkEnvPrefixes, endpointEnv } from './endpoint-env.js';
import { isTerminalForeground } from './foreground.js';
import { reportError } from './report-error.js';
import { startProgress } from './start-progress.js';

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Servers config file. @default the first `servers.config.*` in the current directory */
  config?: string;
  /** Where progress and errors go. @default process.stderr */
  stderr?: NodeJS.WriteStream;
}

/** How `run` ended: the command's exit code, or the signal to re-raise. */
export type RunResult = { code: number } | { signal: NodeJS.Signals };

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Exit code of a command that could not be started, as a POSIX shell reports it. */
function spawnFailureCode(error: NodeJS.ErrnoException): number {
  return error.code === 'ENOENT' ? 127 : 126;
}

/**
 * `ephemeral-servers run -- <command...>`: starts the config's `run`-scoped servers, runs the command
 * with their endpoints in its environment (`EPHEMERAL_SERVERS_STATE`, `<NAME>_URL`, `<NAME>_HOST`,
 * `<NAME>_PORT`), stops the servers, and returns the command's exit code or signal.
 *
 * The command is invited to join the run (`EPHEMERAL_SERVERS_JOIN`): a Vitest, Jest or Playwright
 * global setup inside it joins instead of creating a second run, so each run-scoped server starts once
 * (this one), worker-scoped ones start per worker slot in this run, and this teardown stops them all.
 * A runner whose config differs fails with `RunConfigMismatchError` (see `startRun`).
 *
 * Signals (SIGINT, SIGTERM, SIGHUP) to the CLI: while servers start, the start is cut short (the
 * recorded servers are stopped); while the command runs, the signal is forwarded to it (except a
 * terminal's Ctrl+C, which already reached it: see {@link isTerminalForeground}; a second one is
 * forwarded), then servers are stopped when it exits, and the result mirrors the command (its exit
 * code, or the signal that ended it, which the caller re-raises). A signal during the start makes the
 * result that signal. A signal during the final teardown lets it finish, then ends the CLI.
 */
export async function runCommand(command: readonly string[], options: RunCommandOptions = {}): Promise<RunResult> {
  const stderr = options.stderr ?? process.stderr;
  const loaded = await loadServersConfig({ file: options.config });
  const plan = validateConfig(loaded.config);
  const names = plan.order.filter((name) => plan.specs.get(name)?.scope === 'run');
  checkEnvPrefixes(names);

  let received: NodeJS.Signals | undefined;
  let sigintCount = 0;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const listener = (signal: NodeJS.Signals): void => {
    received ??= signal;
    if (signal === 'SIGINT') sigintCount += 1;
    onSignal(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, listener);
  // The library's timers (readiness polls, stop deadlines) are unref()'d and its servers detached: on
  // its own, the CLI's event loop could run empty in the middle of a start and exit 0. Hold it open.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const removeListeners = (): void => {
    clearInterval(keepAlive);
    for (const signal of FORWARDED_SIGNALS) process.off(signal, listener);
  };

  try {
    const previousState = process.env[STATE_ENV];
    const locateState = (): string | undefined =>
      process.env[STATE_ENV] !== previousState ? process.env[STATE_ENV] : undefined;
    // A signal while starting: stop what is recorded so far, which makes the start fail fast and clean up.
    onSignal = () => {
      const stateFile = locateState();
      if (stateFile !== undefined)
        void stopRecordedServers(stateFile).catch((error: unknown) => reportError(error, stderr));
    };
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-boolean-literal-compare -- `isTTY` is undefined, not false, on a stream that is not a terminal (Node's types say boolean)
    const progress = startProgress(names, { stream: stderr, tty: stderr.isTTY === true, locateState });
    let owner: RunOwner;
    try {
      // The CLI owns its run, even under another `run` (the command it runs is the one invited to join).
      owner = await startRun({ config: loaded.config, cwd: process.cwd(), join: false });
    } catch (error) {
      await progress.finish({ ok: false, failed: (error as { server?: string }).server });
      if (received !== undefined) return { signal: received };
      throw error;
    }
    await progress.finish({ ok: true, endpoints: owner.endpoints, readyMs: owner.readyMs });
    if (received !== undefined) {
      await owner.teardown();
      return { signal: received };
    }

    let status: RunResult;
    try {
      status = await runChild(
        command,
        { ...process.env, ...endpointEnv(owner.run.stateFile, owner.endpoints) },
        stderr,
        (forward) => {
          const foreground = isTerminalForeground();
          onSignal = (signal) => {
            // A terminal's Ctrl+C reached the command already; forward only a repeated one.
            if (signal === 'SIGINT' && foreground && sigintCount < 2) return;
            forward(signal);
          };
        },
      );
    } finally {
      // The command is gone: a signal now belongs to the run's own handler (startRun's), which lets the
      // teardown finish and then re-raises it. The keep-alive stays.
      for (const signal of FORWARDED_SIGNALS) process.off(signal, listener);
      await owner.teardown();
    }
    // The command decides: a command that handles SIGINT and exits 0 (or 130) is mirrored as it is.
    return status;
  } finally {
    removeListeners();
  }
}

/** Spawns the command (no shell, inherited stdio) and resolves with how it ended. */
function runChild(
  command: readonly string[],
  env: NodeJS.ProcessEnv,
  stderr: NodeJS.WritableStream,
  onSpawn: (forward: (signal: NodeJS.Signals) => void) => void,
): Promise<RunResult> {
  return new Promise((resolve) => {
    const [file, ...args] = command;
    const child = spawn(file!, args, { stdio: 'inherit', env });
    child.once('error', (error: NodeJS.ErrnoException) => {
      stderr.write(
        `ephemeral-servers: cannot run \`${file}\`: ${error.code === 'ENOENT' ? 'command not found' : error.message}\n`,
      );
      resolve({ code: spawnFailureCode(error) });
    });
    child.once('exit', (code, signal) => resolve(signal !== null ? { signal } : { code: code ?? 1 }));
    onSpawn((signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  });
}
