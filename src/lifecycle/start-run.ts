import { setTimeout as sleep } from 'node:timers/promises';
import { differingFields, fingerprintSpec } from '../config/fingerprint.js';
import { loadServersConfig } from '../config/load-config.js';
import type { ServerPlan } from '../config/normalized.js';
import type { ServersConfig } from '../config/types.js';
import { validateConfig } from '../config/validate-config.js';
import type { Endpoint } from '../endpoint.js';
import { RunConfigMismatchError, ServerDeadError, StopError, type ExitStatus, type RunConfigDifference } from '../errors.js';
import { readLogTail } from '../process/log-follower.js';
import { isProcessAlive } from '../process/process-identity.js';
import { createOwnedRun, joinRun, stopRecordedServers, type OwnedRun, type Run } from '../run/owned-run.js';
import { handleSignalsFor } from '../run/signal-handlers.js';
import { STATE_ENV } from '../state/state-path.js';
import { stateKey, type StateFile } from '../state/schema.js';
import { startServers, type ServersHandle } from './start-servers.js';

/**
 * Environment variable by which `ephemeral-servers run` invites the command it runs to join its run:
 * the path of that run's state file, the same as `EPHEMERAL_SERVERS_STATE`. {@link startRun} accepts
 * the invitation and removes it from `process.env`, so that the processes started below (test
 * workers, a test that calls `startRun` itself) do not join by accident.
 */
export const JOIN_ENV = 'EPHEMERAL_SERVERS_JOIN';

/** Where a process keeps the invitation it accepted (every module instance of this package in it sees the same). */
const ACCEPTED_JOIN = Symbol.for('ephemeral-servers.accepted-join');
type WithAcceptedJoin = typeof globalThis & { [ACCEPTED_JOIN]?: string };

/** How long a start interrupted by a signal waits for that signal to end the process before it rejects, in ms. */
const INTERRUPTED_START_SETTLE_MS = 1_000;

/** Options of {@link startRun}. */
export interface StartRunOptions {
  /** The servers config. When omitted, it is loaded from `configFile` (see `loadServersConfig`). */
  config?: ServersConfig;
  /** Path of the servers config file. @default the first `servers.config.{ts,mts,cts,js,mjs,cjs}` in `cwd` */
  configFile?: string;
  /** Directory the config file is looked up in. @default process.cwd() */
  cwd?: string;
  /** Set `EPHEMERAL_SERVERS_STATE` in `process.env` for workers and child processes. @default true */
  exportEnv?: boolean;
  /** Reap the leftovers of dead runs first (see `sweepStaleRuns`). @default true */
  sweep?: boolean;
  /**
   * Join the run of an enclosing `ephemeral-servers run` when it invites this process (see
   * {@link JOIN_ENV}) instead of creating a run. `false` always creates one (the CLI itself does).
   * @default true
   */
  join?: boolean;
}

/** The owner of a run: what a globalSetup, the CLI or a Playwright config holds. */
export interface RunOwner extends AsyncDisposable {
  readonly run: Readonly<Run>;
  /**
   * `true` when this owner joined the run of the `ephemeral-servers run` around this process instead of
   * creating one: its run-scoped servers are the CLI's, and its teardown stops only worker-scoped ones.
   */
  readonly joined: boolean;
  /** The validated config, for adapters that start worker-scoped servers later. */
  readonly config: ServersConfig;
  /** Absolute path of the config file, when it was loaded from one. */
  readonly configFile: string | undefined;
  /** Endpoints of the `run`-scoped servers, by name. */
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  /** Per-server time to ready of the `run`-scoped servers, in milliseconds (0 each for a joined owner: the CLI started them). */
  readonly readyMs: Readonly<Record<string, number>>;
  /**
   * Ordered teardown of the whole run, from the supervisor's view (whatever happened to the state
   * file): every worker-scoped server that workers handed over, then the run-scoped ones, in reverse
   * dependency order; then the run directory. Idempotent. A joined owner (see {@link RunOwner.joined})
   * stops only the worker-scoped servers, and the run goes on: the CLI ends it.
   * @throws StopError naming exactly the servers that could not be stopped (the others still are).
   */
  teardown(): Promise<void>;
}

/**
 * Creates a run and starts its `run`-scoped servers: the entry point of every adapter's global setup
 * and of the CLI. Worker-scoped servers are started later, lazily, by workers (`startServers` with
 * `scope: 'worker'`) and handed over to this run with `detach()`; {@link RunOwner.teardown} stops
 * them too.
 *
 * The teardown guarantee (docs/teardown.md): before creating the run, leftovers of dead runs are
 * swept (`sweepStaleRuns`); the run's supervisor, the parent of every command server, stops them in
 * reverse dependency order if this process dies or exits by any means without tearing down (its pipe
 * closes); SIGINT, SIGTERM and SIGHUP run the teardown and are re-raised when no other listener (the
 * host runner's) handles them.
 *
 * On a start failure nothing is left: the run's servers are stopped and its directory removed before
 * the promise rejects.
 *
 * Under `ephemeral-servers run -- <runner>` (the CLI exports {@link JOIN_ENV} naming its run's
 * `EPHEMERAL_SERVERS_STATE`), it joins the CLI's run instead, unless `join` is `false`: nothing is
 * started, the endpoints are the CLI's run-scoped servers, and the teardown stops only the
 * worker-scoped servers workers started (the CLI's teardown and its run's supervisor cover the rest).
 * The config must match the one the CLI started (the same `run`-scoped servers, each with the same
 * spec, compared by the fingerprint recorded in the state file).
 *
 * When SIGINT, SIGTERM or SIGHUP interrupts the start (and no other listener handles it), what was
 * started is stopped, the run directory removed, and the signal re-raised: the process ends by it
 * before this promise settles.
 *
 * @throws ConfigError when the config cannot be loaded or is invalid.
 * @throws the start error of the first server that failed (see `startServers`).
 * @throws RunConfigMismatchError when joining: the config differs from the CLI's (every server and
 *   field that differs is listed); ServerDeadError when a run-scoped server of the CLI has died.
 */
export async function startRun(options: StartRunOptions = {}): Promise<RunOwner> {
  const loaded = options.config === undefined ? await loadServersConfig({ file: options.configFile, cwd: options.cwd }) : undefined;
  const config = options.config ?? loaded!.config;
  const plan = validateConfig(config);
  const invitation = options.join === false ? undefined : acceptJoinInvitation();
  if (invitation !== undefined) return joinInvitedRun(invitation, plan, config, loaded?.path);
  const owned: OwnedRun = await createOwnedRun({ exportEnv: options.exportEnv, sweep: options.sweep !== false });
  const { run } = owned;

  const startAborter = new AbortController();
  let handle: ServersHandle | undefined;
  let tearingDown: Promise<void> | undefined;
  let releaseSignals = (): void => undefined;
  const teardown = (): Promise<void> => {
    tearingDown ??= (async () => {
      const errors: unknown[] = [];
      // Worker-scoped servers handed over by workers first: they may depend on run-scoped ones. Then
      // this process's own (in-process ones can only be closed here), then anything still recorded.
      await owned.stopAll('worker').catch((error: unknown) => errors.push(error));
      await handle?.stop().catch((error: unknown) => errors.push(error));
      await owned.stopAll().catch((error: unknown) => errors.push(error));
      await owned.end().catch((error: unknown) => errors.push(error));
      releaseSignals();
      if (errors.length > 0) throw new StopError(errors.flatMap((e) => (e instanceof StopError ? e.errors : [e])));
    })();
    return tearingDown;
  };

  let starting: Promise<ServersHandle> | undefined;
  releaseSignals = handleSignalsFor({
    teardown: async () => {
      if (handle === undefined) {
        // Interrupted while starting: the start fails, stops what it started and cleans up (below).
        startAborter.abort(new Error('startRun was interrupted by a signal'));
        await Promise.allSettled([starting]);
        if (handle === undefined) return;
      }
      await teardown();
    },
    // A second signal: this process dies at once; the supervisor SIGKILLs everything when its pipe closes.
    killNow: () => owned.urgent(),
  });

  starting = (async () => {
    try {
      return await startServers(config, { stateFile: run.stateFile, scope: 'run', signal: startAborter.signal });
    } catch (error) {
      // startServers has already stopped whatever it started.
      await owned.end();
      releaseSignals();
      throw error;
    }
  })();
  try {
    handle = await starting;
  } catch (error) {
    // Interrupted by a signal: the signal handler re-raises it as soon as the cleanup above is done,
    // ending the process by that signal. Rejecting first would let the caller exit with its own status.
    if (startAborter.signal.aborted) await sleep(INTERRUPTED_START_SETTLE_MS);
    throw error;
  }

  return {
    run,
    joined: false,
    config,
    configFile: loaded?.path,
    endpoints: handle.endpoints,
    readyMs: handle.readyMs,
    teardown,
    [Symbol.asyncDispose]: teardown,
  };
}

/**
 * The state file of the CLI run this process was invited to join, if any: takes {@link JOIN_ENV} out of
 * `process.env` (whatever it holds) and accepts it when it names the current `EPHEMERAL_SERVERS_STATE`.
 * An accepted invitation holds for this process as long as `EPHEMERAL_SERVERS_STATE` still names that
 * run (a watch mode's next global setup joins again).
 */
function acceptJoinInvitation(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const slot = globalThis as WithAcceptedJoin;
  const invitation = env[JOIN_ENV];
  if (invitation !== undefined) {
    delete env[JOIN_ENV];
    if (invitation !== '' && invitation === env[STATE_ENV]) slot[ACCEPTED_JOIN] = invitation;
  }
  const accepted = slot[ACCEPTED_JOIN];
  return accepted !== undefined && accepted === env[STATE_ENV] ? accepted : undefined;
}

/**
 * What differs between this process's `run`-scoped servers and those recorded in the CLI's run: names
 * on one side only, and fields whose fingerprints differ (see `fingerprintSpec`).
 */
function compareWithRun(plan: ServerPlan, state: StateFile): RunConfigDifference[] {
  const ours = plan.order.filter((name) => plan.specs.get(name)!.scope === 'run');
  const recorded = Object.values(state.servers).filter((entry) => entry.scope === 'run' && entry.slot === 0);
  const differences: RunConfigDifference[] = [];
  for (const name of ours) {
    const entry = recorded.find((candidate) => candidate.name === name);
    if (entry === undefined) differences.push({ server: name, kind: 'missing', fields: [] });
    else if (entry.fingerprint === undefined) differences.push({ server: name, kind: 'unverifiable', fields: [] });
    else {
      const fields = differingFields(fingerprintSpec(plan.specs.get(name)!), entry.fingerprint);
      if (fields.length > 0) differences.push({ server: name, kind: 'changed', fields });
    }
  }
  for (const entry of recorded) {
    if (!ours.includes(entry.name)) differences.push({ server: entry.name, kind: 'extra', fields: [] });
  }
  return differences;
}

/**
 * Joins the CLI's run: checks the config against what the CLI recorded, reads the endpoints of its
 * run-scoped servers, and returns an owner whose teardown stops only worker-scoped servers.
 * @throws RunConfigMismatchError, ServerDeadError (see {@link startRun}); SupervisorUnreachableError.
 */
async function joinInvitedRun(stateFile: string, plan: ServerPlan, config: ServersConfig, configFile: string | undefined): Promise<RunOwner> {
  const { run: paths, client } = joinRun(stateFile);
  const state = await client.request('state', {});
  const differences = compareWithRun(plan, state);
  if (differences.length > 0) throw new RunConfigMismatchError(stateFile, differences);
  const endpoints: Record<string, Endpoint> = {};
  const readyMs: Record<string, number> = {};
  for (const name of plan.order) {
    const entry = state.servers[stateKey(name, 0)];
    if (entry === undefined || entry.scope !== 'run') continue;
    if (entry.status === 'dead' || !isProcessAlive(entry.pid, entry.startTime)) {
      throw new ServerDeadError(name, entry.exit as ExitStatus | undefined, entry.logPath ? readLogTail(entry.logPath) : []);
    }
    endpoints[name] = entry.endpoint;
    // Started by the CLI, before this process: nothing to wait for here.
    readyMs[name] = 0;
  }
  let tearingDown: Promise<void> | undefined;
  const teardown = (): Promise<void> => {
    // The worker-scoped servers workers handed over; the run-scoped ones and the run are the CLI's.
    tearingDown ??= stopRecordedServers(stateFile, { scope: 'worker' }).then(() => undefined);
    return tearingDown;
  };
  return {
    run: { ...paths, runId: state.runId },
    joined: true,
    config,
    configFile,
    endpoints,
    readyMs,
    teardown,
    [Symbol.asyncDispose]: teardown,
  };
}
