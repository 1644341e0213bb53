import { join } from 'node:path';
import { expandPlaceholders } from '../config/placeholders.js';
import type { NormalizedCommandSpec, NormalizedInProcessSpec, NormalizedSpec } from '../config/normalized.js';
import { createEndpoint, type Endpoint } from '../endpoint.js';
import { PortExhaustedError, ServerExitedError, ServerStartError } from '../errors.js';
import { allocatePort, assertPortAvailable, isAddrInUseOutput, type PortReservation } from '../ports/index.js';
import { startInProcessServer } from '../process/in-process-server.js';
import { readProcessStartTime } from '../process/process-identity.js';
import { spawnCommand, type SpawnedCommand } from '../process/spawn-command.js';
import { stopProcessGroup } from '../process/stop-process-group.js';
import { waitForReady } from '../readiness/index.js';
import { stateKey, type StateEntry } from '../state/schema.js';
import { updateState } from '../state/index.js';
import { guardProcessGroup, releaseProcessGroup } from './exit-guard.js';
import type { Run } from './run.js';
import { watchServerExit } from './watch-server-exit.js';

/** Attempts for a command server on an allocated port that loses it to another process (EADDRINUSE). */
export const MAX_PORT_ATTEMPTS = 3;

/** A started server instance. */
export interface StartedInstance {
  key: string;
  spec: NormalizedSpec;
  endpoint: Endpoint;
  /** Milliseconds from the start call to ready. */
  readyMs: number;
  /** Port attempts used (more than 1 when the port was lost to another process and retried). */
  attempts: number;
  /** Stops the instance and removes its state entry. Idempotent. */
  stop(): Promise<void>;
  /**
   * Hands the instance over to the run: this process no longer stops it on exit; the run owner's
   * teardown does (see `stopRecordedServers`). Command servers only.
   */
  detach(): void;
}

/** Context of one start. */
export interface StartInstanceContext {
  run: Run;
  slot: number;
  /** Endpoints of the spec's dependencies, by server name. */
  dependencies: Readonly<Record<string, Endpoint>>;
  /** State keys of those dependencies, for teardown ordering. */
  dependencyKeys: readonly string[];
  signal: AbortSignal;
  /** Directory for cross-process port reservations (tests use their own). */
  reservationDir?: string;
}

async function recordEntry(run: Run, key: string, entry: StateEntry): Promise<void> {
  await updateState(run.stateFile, (state) => {
    state.servers[key] = entry;
  });
}

async function removeEntry(run: Run, key: string, pid: number, port?: number): Promise<void> {
  await updateState(run.stateFile, (state) => {
    // Only our own entry: a later instance under the same key (a restart, or an in-process server of
    // another thread of this same pid, in Vitest's threads pool) is not ours to remove.
    const entry = state.servers[key];
    if (entry?.pid === pid && (port === undefined || entry.endpoint.port === port)) delete state.servers[key];
  });
}

function expandAll(spec: NormalizedCommandSpec, endpoint: Endpoint, dependencies: Readonly<Record<string, Endpoint>>) {
  const values = { self: endpoint, servers: dependencies };
  const command = spec.command.map((part) => expandPlaceholders(part, values));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.env)) env[name] = expandPlaceholders(value, values);
  return { command, env };
}

async function startCommandAttempt(
  spec: NormalizedCommandSpec,
  context: StartInstanceContext,
  port: number,
): Promise<{ spawned: SpawnedCommand; endpoint: Endpoint; watcher: { cancel(): void } }> {
  const key = stateKey(spec.name, context.slot);
  const announced = spec.port.mode === 'announced';
  let endpoint = createEndpoint(spec.name, context.slot, spec.host, port, spec.protocol);
  const { command, env } = expandAll(spec, endpoint, context.dependencies);
  const logPath = join(context.run.logDir, `${key}.log`);
  const spawned = await spawnCommand({
    server: spec.name,
    command,
    cwd: spec.cwd,
    env: { ...process.env, PYTHONUNBUFFERED: '1', ...env },
    logPath,
  });
  guardProcessGroup(spawned.pgid);
  const entry: StateEntry = {
    name: spec.name,
    slot: context.slot,
    scope: spec.scope,
    kind: 'command',
    endpoint,
    pid: spawned.pid,
    pgid: spawned.pgid,
    startTime: spawned.startTime,
    owner: { kind: 'worker', pid: process.pid },
    startedAt: new Date().toISOString(),
    logPath,
    stopSignal: spec.stopSignal,
    stopTimeoutMs: spec.stopTimeoutMs,
    status: 'starting',
    dependsOn: [...context.dependencyKeys],
  };
  try {
    await recordEntry(context.run, key, entry);
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
      output: spawned.output,
      outputTail: () => spawned.output.tail(),
      logPath,
      exited: spawned.exited,
      startTimeoutMs: spec.startTimeoutMs,
      signal: context.signal,
    });
    // A probe can be answered by another process that holds the port; a server that has exited by now
    // is not ready, whatever answered.
    const exit = spawned.exitStatus();
    if (exit !== undefined) throw new ServerExitedError(spec.name, exit, spawned.output.tail(), logPath);
    if (announced && captured.port === undefined) {
      throw new ServerStartError(spec.name, 'its `log` probe passed without capturing a `port` group.');
    }
    // A log probe alone never asks for the target: build the endpoint from the captured port here.
    if (announced) endpoint = createEndpoint(spec.name, context.slot, spec.host, captured.port!, spec.protocol);
    await recordEntry(context.run, key, { ...entry, endpoint, status: 'running' });
    spawned.unref();
    return { spawned, endpoint, watcher: watchServerExit(context.run.stateFile, key, spawned.pid, spawned.exited) };
  } catch (error) {
    await stopProcessGroup(spawned, { signal: spec.stopSignal, stopTimeoutMs: Math.min(spec.stopTimeoutMs, 1000), exited: spawned.exited });
    releaseProcessGroup(spawned.pgid);
    await removeEntry(context.run, key, spawned.pid);
    spawned.output.close();
    throw error;
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
      const { spawned, endpoint, watcher } = await startCommandAttempt(spec, context, port);
      let stopping: Promise<void> | undefined;
      let detached = false;
      return {
        key,
        spec,
        endpoint,
        readyMs: performance.now() - startedAt,
        attempts: attempt,
        stop: () => {
          stopping ??= (async () => {
            watcher.cancel();
            await stopProcessGroup(spawned, { signal: spec.stopSignal, stopTimeoutMs: spec.stopTimeoutMs, exited: spawned.exited });
            releaseProcessGroup(spawned.pgid);
            spawned.output.close();
            await removeEntry(context.run, key, spawned.pid);
          })();
          return stopping;
        },
        detach: () => {
          if (detached) return;
          detached = true;
          releaseProcessGroup(spawned.pgid);
          spawned.output.close();
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
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await started.close(spec.stopTimeoutMs);
      await removeEntry(context.run, key, process.pid, started.port);
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
    await recordEntry(context.run, key, {
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
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { key, spec, endpoint, readyMs: performance.now() - startedAt, attempts: 1, stop, detach: () => undefined };
}

/**
 * Starts one server instance for `context.slot`: allocates its port, spawns or listens, waits for
 * readiness, and records it in the run's state file (a command server is recorded as `starting` as
 * soon as it is spawned, so that a reaper can kill it even if this process dies mid-start). On any
 * failure it stops what it started and removes the entry before rethrowing.
 */
export async function startInstance(spec: NormalizedSpec, context: StartInstanceContext): Promise<StartedInstance> {
  const startedAt = performance.now();
  return spec.kind === 'command' ? startCommandServer(spec, context, startedAt) : startInProcess(spec, context, startedAt);
}
