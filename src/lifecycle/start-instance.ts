import { closeSync, fstatSync, openSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fingerprintSpec } from '../config/fingerprint.js';
import { expandPlaceholders, expandUrlTemplate, findPlaceholders } from '../config/placeholders.js';
import type { NormalizedCommandSpec, NormalizedInProcessSpec, NormalizedSpec } from '../config/normalized.js';
import { createEndpoint, type Endpoint } from '../endpoint.js';
import {
  PortExhaustedError,
  ServerDaemonizedError,
  ServerExitedError,
  ServerStartError,
  SetupStepError,
  type ExitStatus,
} from '../errors.js';
import { allocatePort, assertPortAvailable, isAddrInUseOutput, type PortReservation } from '../ports/index.js';
import { startInProcessServer } from '../process/in-process-server.js';
import { LogFollower } from '../process/log-follower.js';
import { discardKeptLog } from '../logs/kept-logs.js';
import { readProcessStartTime } from '../process/process-identity.js';
import { createScratchDirectory, resolveRunAs } from '../process/run-as-user.js';
import { assertSpawnable, spawnError } from '../process/spawn-command.js';
import { waitForReady } from '../readiness/index.js';
import type { Run } from '../run/owned-run.js';
import type { StopResult } from '../run/protocol.js';
import type { SupervisorClient } from '../run/supervisor-client.js';
import { stateKey, type StateEntry } from '../state/schema.js';

/** Attempts for a command server on an allocated port that loses it to another process (EADDRINUSE). */
export const MAX_PORT_ATTEMPTS = 3;

/** How long a server that failed to start gets to exit gracefully before SIGKILL, at most, in ms. */
const FAILED_START_STOP_MS = 1000;

/** A started server instance. */
export interface StartedInstance {
  key: string;
  spec: NormalizedSpec;
  endpoint: Endpoint;
  /** Milliseconds from the start call to ready. */
  readyMs: number;
  /** Port attempts used (more than 1 when the port was lost to another process and retried). */
  attempts: number;
  /** Pid of the server (for an in-process one, this process). */
  pid: number;
  /** Stops the instance and removes its state entry. Idempotent. */
  stop(): Promise<void>;
}

/** Context of one start. */
export interface StartInstanceContext {
  run: Pick<Run, 'runDir' | 'logDir' | 'stateFile' | 'tmpRoot'>;
  /** This process's connection to the run's supervisor. */
  client: SupervisorClient;
  slot: number;
  /** Endpoints of the spec's dependencies, by server name. */
  dependencies: Readonly<Record<string, Endpoint>>;
  /** State keys of those dependencies, for teardown ordering. */
  dependencyKeys: readonly string[];
  signal: AbortSignal;
  /** Directory for cross-process port reservations (tests use their own). */
  reservationDir?: string;
}

/** The endpoint of an instance on `port`: its `url` template expanded (`{host}`, `{port}`, `{tmpDir}`). */
function endpointOf(spec: NormalizedSpec, slot: number, port: number, tmpDir: string | undefined): Endpoint {
  return createEndpoint(
    spec.name,
    slot,
    spec.host,
    port,
    expandUrlTemplate(spec.url, { host: spec.host, port, tmpDir }),
  );
}

/** The fields of a state entry both kinds of server share: who it is, where, its stop, its dependencies, its fingerprint. */
function entryBase(spec: NormalizedSpec, context: StartInstanceContext, endpoint: Endpoint) {
  return {
    name: spec.name,
    slot: context.slot,
    scope: spec.scope,
    endpoint,
    owner: { kind: 'worker', pid: process.pid } as const,
    startedAt: new Date().toISOString(),
    stopSignal: spec.stopSignal,
    stopTimeoutMs: spec.stopTimeoutMs,
    dependsOn: [...context.dependencyKeys],
    fingerprint: fingerprintSpec(spec),
  };
}

/** Whether any template of the spec asks for `{tmpDir}`: only then does the instance get a scratch directory. */
function usesTmpDir(spec: NormalizedCommandSpec): boolean {
  const templates = [spec.url, spec.cwd, ...spec.command, ...spec.setup.flat(), ...Object.values(spec.env)];
  return templates.some((template) =>
    findPlaceholders(template).some(
      (placeholder) => placeholder.server === undefined && placeholder.field === 'tmpDir',
    ),
  );
}

function expandAll(
  spec: NormalizedCommandSpec,
  endpoint: Endpoint,
  tmpDir: string | undefined,
  dependencies: Readonly<Record<string, Endpoint>>,
) {
  const values = { self: { ...endpoint, tmpDir }, servers: dependencies };
  const expand = (part: string): string => expandPlaceholders(part, values);
  const command = spec.command.map(expand);
  const setup = spec.setup.map((step) => step.map(expand));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.env)) env[name] = expand(value);
  return { command, setup, env, cwd: resolve(expand(spec.cwd)) };
}

/** The size of the log file (created 0600 if needed): a `log` probe follows only what this instance writes after it. */
function logOffset(logPath: string): number {
  const fd = openSync(logPath, 'a', 0o600);
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** The environment of a spawned server: this process's, plus the spec's. `undefined` values are dropped (they cannot cross the wire). */
function serverEnv(extra: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  return { ...env, PYTHONUNBUFFERED: '1', ...extra };
}

/** Resolves with the exit of `exited`, or `undefined` at the deadline (`performance.now()` ms) or when `signal` aborts. */
async function exitBefore(
  exited: Promise<ExitStatus>,
  deadline: number,
  signal: AbortSignal,
): Promise<ExitStatus | undefined> {
  if (signal.aborted) return undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cutOff = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - performance.now()));
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([exited, cutOff]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
  }
}

async function startCommandAttempt(
  spec: NormalizedCommandSpec,
  context: StartInstanceContext,
  port: number,
): Promise<{ pid: number; endpoint: Endpoint }> {
  // One deadline for every setup step and the readiness probes.
  const startedAt = performance.now();
  const deadline = startedAt + spec.startTimeoutMs;
  const key = stateKey(spec.name, context.slot);
  const announced = spec.port.mode === 'announced';
  const runAs = resolveRunAs(spec.name, spec.user);
  const tmpDir = usesTmpDir(spec)
    ? createScratchDirectory(context.run.runDir, context.run.tmpRoot, key, runAs)
    : undefined;
  let endpoint = endpointOf(spec, context.slot, port, tmpDir);
  const { command, setup, env, cwd } = expandAll(spec, endpoint, tmpDir, context.dependencies);
  const logPath = join(context.run.logDir, `${key}.log`);
  const { client } = context;
  const spawnEnv = serverEnv(env);
  /** Pid of what the supervisor spawned last under `key` (a setup step, then the server): a failure stops it. */
  let current: number | undefined;
  const spawnUnderKey = async (argv: readonly string[]): Promise<number> => {
    assertSpawnable(spec.name, argv, cwd);
    try {
      // The supervisor spawns it (it is the parent of every server of the run) and records it as
      // `starting` in the same step, so it is reaped even if this process dies mid-start.
      const { pid } = await client.request('spawn', {
        key,
        command: argv,
        cwd,
        env: spawnEnv,
        logPath,
        ...runAs,
        entry: {
          ...entryBase(spec, context, endpoint),
          kind: 'command',
          logPath,
          ...(tmpDir === undefined ? {} : { tmpDir }),
          status: 'starting',
        },
      });
      current = pid;
      return pid;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw code !== undefined && !code.startsWith('ES_') ? spawnError(spec.name, argv, error as Error) : error;
    }
  };
  const stopCurrent = async (): Promise<StopResult | undefined> => {
    if (current === undefined) {
      // Nothing was recorded under `key`: the scratch directory is this process's to remove.
      if (tmpDir !== undefined) rmSync(tmpDir, { recursive: true, force: true });
      return undefined;
    }
    return client.request('stop', {
      key,
      pid: current,
      stopTimeoutMs: Math.min(spec.stopTimeoutMs, FAILED_START_STOP_MS),
    });
  };

  try {
    for (const [index, argv] of setup.entries()) {
      const stepOutput = new LogFollower(logPath, logOffset(logPath));
      try {
        const pid = await spawnUnderKey(argv);
        const exit = await exitBefore(client.watchExit(pid), deadline, context.signal);
        client.releaseExit(pid);
        if (context.signal.aborted) throw context.signal.reason;
        if (exit === undefined || exit.code !== 0) {
          throw new SetupStepError(spec.name, index, argv, exit, stepOutput.tail(), logPath, spec.startTimeoutMs);
        }
      } finally {
        stepOutput.close();
      }
    }
  } catch (error) {
    await stopCurrent();
    throw error;
  }

  const output = new LogFollower(logPath, logOffset(logPath));
  let pid: number;
  try {
    pid = await spawnUnderKey(command);
  } catch (error) {
    output.close();
    await stopCurrent();
    throw error;
  }
  let exit: ExitStatus | undefined;
  const exited = client.watchExit(pid).then((status) => (exit = status));
  try {
    let captured: { port?: number; host?: string } = {};
    await waitForReady({
      server: spec.name,
      probes: spec.readiness,
      target: () => {
        if (!announced) return endpoint;
        if (captured.port === undefined) return undefined;
        endpoint = endpointOf(spec, context.slot, captured.port, tmpDir);
        return endpoint;
      },
      onCapture: (groups) => {
        captured = { ...captured, ...groups };
      },
      output,
      outputTail: () => output.tail(),
      logPath,
      exited,
      startTimeoutMs: spec.startTimeoutMs,
      startedAt,
      signal: context.signal,
    });
    // A probe can be answered by another process that holds the port; a server that has exited by now
    // is not ready, whatever answered.
    if (exit !== undefined) throw new ServerExitedError(spec.name, exit, output.tail(), logPath);
    if (announced && captured.port === undefined) {
      throw new ServerStartError(spec.name, 'its `log` probe passed without capturing a `port` group.');
    }
    // A log probe alone never asks for the target: build the endpoint from the captured port here.
    if (announced) endpoint = endpointOf(spec, context.slot, captured.port!, tmpDir);
    await client.request('patch', { key, pid, changes: { endpoint, status: 'running' } });
    return { pid, endpoint };
  } catch (error) {
    const stopped = await stopCurrent();
    // Its main process exited before ready, and processes it started outside its group were found: it daemonized.
    if (error instanceof ServerExitedError && stopped !== undefined && stopped.escaped.length > 0)
      throw new ServerDaemonizedError(spec.name, stopped.escaped, logPath);
    throw error;
  } finally {
    client.releaseExit(pid);
    output.close();
  }
}

async function startCommandServer(
  spec: NormalizedCommandSpec,
  context: StartInstanceContext,
  startedAt: number,
): Promise<StartedInstance> {
  const key = stateKey(spec.name, context.slot);
  const excluded = new Set<number>();
  for (let attempt = 1; ; attempt++) {
    let reservation: PortReservation | undefined;
    let port: number;
    if (spec.port.mode === 'fixed') {
      port = spec.port.port;
      await assertPortAvailable(spec.name, spec.host, port);
    } else if (spec.port.mode === 'announced') {
      port = 0;
    } else {
      reservation = await allocatePort({
        server: spec.name,
        host: spec.host,
        range: spec.port.range,
        exclude: excluded,
        reservationDir: context.reservationDir,
      });
      port = reservation.port;
    }
    try {
      const { pid, endpoint } = await startCommandAttempt(spec, context, port);
      let stopping: Promise<void> | undefined;
      return {
        key,
        spec,
        endpoint,
        readyMs: performance.now() - startedAt,
        attempts: attempt,
        pid,
        stop: () => {
          stopping ??= context.client.request('stop', { key, pid }).then(() => undefined);
          return stopping;
        },
      };
    } catch (error) {
      const lostPort =
        error instanceof ServerExitedError &&
        spec.port.mode === 'auto' &&
        isAddrInUseOutput(error.outputTail.join('\n'));
      if (!lostPort) throw error;
      excluded.add(port);
      if (attempt >= MAX_PORT_ATTEMPTS) {
        // Out of attempts: the last ServerExitedError (the cause) keeps the log, every attempt in it.
        throw new PortExhaustedError(
          spec.name,
          attempt,
          `port ${port} was taken by another process before the server could bind it, ${attempt} times in a row`,
          { cause: error },
        );
      }
      // The lost port's ServerExitedError kept the log (errors keep the log they name); the retry may
      // well succeed, and a clean run keeps nothing: drop that copy. A later failure keeps it again.
      discardKeptLog(join(context.run.logDir, `${key}.log`));
    } finally {
      await reservation?.release();
    }
  }
}

async function startInProcess(
  spec: NormalizedInProcessSpec,
  context: StartInstanceContext,
  startedAt: number,
): Promise<StartedInstance> {
  const key = stateKey(spec.name, context.slot);
  let app;
  try {
    app = await spec.app();
  } catch (error) {
    throw new ServerStartError(spec.name, `its \`app\` factory threw: ${(error as Error).message}`, { cause: error });
  }
  const port = spec.port.mode === 'fixed' ? spec.port.port : 0;
  // The same check as a command server's: a taken fixed port is a PortInUseError naming its holder.
  if (spec.port.mode === 'fixed') await assertPortAvailable(spec.name, spec.host, port);
  const started = await startInProcessServer(spec.name, app, spec.host, port);
  const endpoint = endpointOf(spec, context.slot, started.port, undefined);
  let stopping: Promise<void> | undefined;
  let recorded = false;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await started.close(spec.stopTimeoutMs);
      if (recorded) await context.client.request('remove', { key, pid: process.pid, port: started.port });
    })();
    return stopping;
  };
  try {
    if (spec.readiness.length > 0) {
      await waitForReady({
        server: spec.name,
        probes: spec.readiness,
        target: () => endpoint,
        startTimeoutMs: spec.startTimeoutMs,
        signal: context.signal,
      });
    }
    const entry: StateEntry = {
      ...entryBase(spec, context, endpoint),
      kind: 'in-process',
      pid: process.pid,
      startTime: readProcessStartTime(process.pid),
      status: 'running',
    };
    // Set first: if the record fails half-way (the connection drops), the stop still removes what may have landed.
    recorded = true;
    await context.client.request('record', { key, entry });
  } catch (error) {
    await stop();
    throw error;
  }
  return { key, spec, endpoint, readyMs: performance.now() - startedAt, attempts: 1, pid: process.pid, stop };
}

/**
 * Starts one server instance for `context.slot`: allocates its port, has the run's supervisor spawn it
 * (command servers: the supervisor is their parent and records them as `starting` in the same step,
 * so they are reaped even if this process dies mid-start) or listens in this process (in-process
 * servers), waits for readiness here, and has the supervisor record it `running`. On any failure it
 * stops what it started and removes the entry before rethrowing.
 *
 * @throws ServerDaemonizedError when the main process exited before ready while processes it started
 *   outside its process group kept running (they are stopped).
 */
export async function startInstance(spec: NormalizedSpec, context: StartInstanceContext): Promise<StartedInstance> {
  const startedAt = performance.now();
  return spec.kind === 'command'
    ? startCommandServer(spec, context, startedAt)
    : startInProcess(spec, context, startedAt);
}
