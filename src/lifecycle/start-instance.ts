import { closeSync, fstatSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { expandPlaceholders } from '../config/placeholders.js';
import type { NormalizedCommandSpec, NormalizedInProcessSpec, NormalizedSpec } from '../config/normalized.js';
import { createEndpoint, type Endpoint } from '../endpoint.js';
import { PortExhaustedError, ServerDaemonizedError, ServerExitedError, ServerStartError, type ExitStatus } from '../errors.js';
import { allocatePort, assertPortAvailable, isAddrInUseOutput, type PortReservation } from '../ports/index.js';
import { startInProcessServer } from '../process/in-process-server.js';
import { LogFollower } from '../process/log-follower.js';
import { readProcessStartTime } from '../process/process-identity.js';
import { assertSpawnable, spawnError } from '../process/spawn-command.js';
import { waitForReady } from '../readiness/index.js';
import type { Run } from '../run/owned-run.js';
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
  run: Pick<Run, 'logDir' | 'stateFile'>;
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

function expandAll(spec: NormalizedCommandSpec, endpoint: Endpoint, dependencies: Readonly<Record<string, Endpoint>>) {
  const values = { self: endpoint, servers: dependencies };
  const command = spec.command.map((part) => expandPlaceholders(part, values));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.env)) env[name] = expandPlaceholders(value, values);
  return { command, env };
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

async function startCommandAttempt(
  spec: NormalizedCommandSpec,
  context: StartInstanceContext,
  port: number,
): Promise<{ pid: number; endpoint: Endpoint }> {
  const key = stateKey(spec.name, context.slot);
  const announced = spec.port.mode === 'announced';
  let endpoint = createEndpoint(spec.name, context.slot, spec.host, port, spec.protocol);
  const { command, env } = expandAll(spec, endpoint, context.dependencies);
  assertSpawnable(spec.name, command, spec.cwd);
  const logPath = join(context.run.logDir, `${key}.log`);
  const output = new LogFollower(logPath, logOffset(logPath));
  const { client } = context;
  let pid: number;
  try {
    // The supervisor spawns it (it is the parent of every server of the run) and records it as
    // `starting` in the same step, so it is reaped even if this process dies mid-start.
    ({ pid } = await client.request('spawn', {
      key,
      command,
      cwd: spec.cwd,
      env: serverEnv(env),
      logPath,
      entry: {
        name: spec.name,
        slot: context.slot,
        scope: spec.scope,
        kind: 'command',
        endpoint,
        owner: { kind: 'worker', pid: process.pid },
        startedAt: new Date().toISOString(),
        logPath,
        stopSignal: spec.stopSignal,
        stopTimeoutMs: spec.stopTimeoutMs,
        status: 'starting',
        dependsOn: [...context.dependencyKeys],
      },
    }));
  } catch (error) {
    output.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw code !== undefined && !code.startsWith('ES_') ? spawnError(spec.name, command, error as Error) : error;
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
        endpoint = createEndpoint(spec.name, context.slot, spec.host, captured.port, spec.protocol);
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
      signal: context.signal,
    });
    // A probe can be answered by another process that holds the port; a server that has exited by now
    // is not ready, whatever answered.
    if (exit !== undefined) throw new ServerExitedError(spec.name, exit, output.tail(), logPath);
    if (announced && captured.port === undefined) {
      throw new ServerStartError(spec.name, 'its `log` probe passed without capturing a `port` group.');
    }
    // A log probe alone never asks for the target: build the endpoint from the captured port here.
    if (announced) endpoint = createEndpoint(spec.name, context.slot, spec.host, captured.port!, spec.protocol);
    await client.request('patch', { key, pid, changes: { endpoint, status: 'running' } });
    return { pid, endpoint };
  } catch (error) {
    const stopped = await client.request('stop', { key, pid, stopTimeoutMs: Math.min(spec.stopTimeoutMs, FAILED_START_STOP_MS) });
    // Its main process exited before ready, and processes it started outside its group were found: it daemonized.
    if (error instanceof ServerExitedError && stopped.escaped.length > 0) throw new ServerDaemonizedError(spec.name, stopped.escaped, logPath);
    throw error;
  } finally {
    client.releaseExit(pid);
    output.close();
  }
}

async function startCommandServer(spec: NormalizedCommandSpec, context: StartInstanceContext, startedAt: number): Promise<StartedInstance> {
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
        error instanceof ServerExitedError && spec.port.mode === 'auto' && isAddrInUseOutput(error.outputTail.join('\n'));
      if (!lostPort) throw error;
      excluded.add(port);
      if (attempt >= MAX_PORT_ATTEMPTS) {
        throw new PortExhaustedError(spec.name, attempt, `port ${port} was taken by another process before the server could bind it, ${attempt} times in a row`, { cause: error });
      }
    } finally {
      await reservation?.release();
    }
  }
}

async function startInProcess(spec: NormalizedInProcessSpec, context: StartInstanceContext, startedAt: number): Promise<StartedInstance> {
  const key = stateKey(spec.name, context.slot);
  let app;
  try {
    app = await spec.app();
  } catch (error) {
    throw new ServerStartError(spec.name, `its \`app\` factory threw: ${(error as Error).message}`, { cause: error });
  }
  const port = spec.port.mode === 'fixed' ? spec.port.port : 0;
  const started = await startInProcessServer(spec.name, app, spec.host, port);
  const endpoint = createEndpoint(spec.name, context.slot, spec.host, started.port, spec.protocol);
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
      name: spec.name,
      slot: context.slot,
      scope: spec.scope,
      kind: 'in-process',
      endpoint,
      pid: process.pid,
      startTime: readProcessStartTime(process.pid),
      owner: { kind: 'worker', pid: process.pid },
      startedAt: new Date().toISOString(),
      stopSignal: spec.stopSignal,
      stopTimeoutMs: spec.stopTimeoutMs,
      status: 'running',
      dependsOn: [...context.dependencyKeys],
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
  return spec.kind === 'command' ? startCommandServer(spec, context, startedAt) : startInProcess(spec, context, startedAt);
}
