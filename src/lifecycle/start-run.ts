import { setTimeout as sleep } from 'node:timers/promises';
import { differingFields, fingerprintSpec } from '../config/fingerprint.js';
import { findConfigFile, loadServersConfig } from '../config/load-config.js';
import type { ServerPlan } from '../config/normalized.js';
import type { ServersConfig } from '../config/types.js';
import { validateConfig } from '../config/validate-config.js';
import type { Endpoint } from '../endpoint.js';
import {
  ConfigError,
  RunConfigMismatchError,
  ServerDeadError,
  StartInterruptedError,
  StopError,
  type ExitStatus,
  type RunConfigDifference,
} from '../errors.js';
import { readLogTail } from '../process/log-follower.js';
import { isProcessAlive } from '../process/process-identity.js';
import { createOwnedRun, joinRun, stopRecordedServers, type OwnedRun, type Run } from '../run/owned-run.js';
import { handleSignalsFor } from '../run/signal-handlers.js';
import { STATE_ENV } from '../state/state-path.js';
import { stateKey, type StateFile } from '../state/schema.js';
import { startRunServers, type ReloadResult, type RunServers } from './run-servers.js';
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
  /**
   * Share one run among every `startRun` of this process that passes `share: true` (the global setups
   * of several Vitest projects): the first creates it, later ones join it while it lives, through the
   * same join as {@link JOIN_ENV}'s, and the run ends when the last of them tears down. A joiner's
   * `run`-scoped servers that the run does not have yet are started in it; one the run has with
   * another spec is a `ConfigError`. When the joiner's directory has no servers config (a nested
   * project), it uses the run's. Needs `exportEnv`.
   * @default false
   */
  share?: boolean;
}

/** How an owner came to its run: it created it, or joined the CLI's (`cli`) or an earlier shared `startRun` of this process (`process`). */
export type RunOrigin = 'created' | 'cli' | 'process';

/** The owner of a run: what a globalSetup, the CLI or a Playwright config holds. */
export interface RunOwner extends AsyncDisposable {
  readonly run: Readonly<Run>;
  /**
   * `true` when this owner joined a run created by another (see {@link RunOwner.origin}): the run-scoped
   * servers it did not add are not its own, and its teardown does not end the run.
   */
  readonly joined: boolean;
  /** Whether this owner created its run or joined one, and whose. */
  readonly origin: RunOrigin;
  /** The validated config, for adapters that start worker-scoped servers later (the reloaded one after {@link RunOwner.reload}). */
  readonly config: ServersConfig;
  /** Absolute path of the config file, when it was loaded from one. */
  readonly configFile: string | undefined;
  /** Endpoints of the `run`-scoped servers, by name (updated by {@link RunOwner.reload}). */
  readonly endpoints: Readonly<Record<string, Endpoint>>;
  /** Per-server time to ready of the `run`-scoped servers, in milliseconds (0 each for a joined owner: the CLI started them). */
  readonly readyMs: Readonly<Record<string, number>>;
  /**
   * Applies a changed config to a running run (a watch mode's rerun): see `RunServers.reload`. Only
   * changed servers restart; a `ConfigError` changes nothing. An owner that joined a run cannot change
   * its servers: it checks the new config against the run as the join does and rejects with the same
   * error when it differs.
   * @throws ConfigError, RunConfigMismatchError, the start error of a server that failed.
   */
  reload(config: ServersConfig): Promise<ReloadResult>;
  /**
   * Ordered teardown of the whole run, from the supervisor's view (whatever happened to the state
   * file): every worker-scoped server that workers handed over, then the run-scoped ones, in reverse
   * dependency order; then the run directory. Idempotent. An owner that joined the CLI's run stops
   * only the worker-scoped servers, and the run goes on: the CLI ends it. An owner of a shared run
   * (see `share`) ends it only when it is the last one of this process to tear down.
   * @throws StopError naming exactly the servers that could not be stopped (the others still are).
   */
  teardown(): Promise<void>;
}

/** A run shared among the `share: true` calls of this process, kept in {@link SHARED_RUN}. */
interface SharedRun {
  readonly stateFile: string;
  readonly config: ServersConfig;
  readonly configFile: string | undefined;
  /** Owners holding it; the last release ends it. */
  holders: number;
  /** Handles of the run-scoped servers that joiners added (in-process ones can only be closed here). */
  readonly added: ServersHandle[];
  /** The creator's teardown: ends the run. */
  readonly end: () => Promise<void>;
}

/** Where a process keeps its shared run (every module instance of this package in it sees the same). */
const SHARED_RUN = Symbol.for('ephemeral-servers.shared-run');
type WithSharedRun = typeof globalThis & { [SHARED_RUN]?: Promise<SharedRun | undefined> };

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
 * spec, compared by the fingerprint recorded in the state file). With `share`, a later call of this
 * process joins the run of the first one the same way (see {@link StartRunOptions.share}).
 *
 * When SIGINT, SIGTERM or SIGHUP interrupts the start (and no other listener handles it), what was
 * started is stopped, the run directory removed, and the signal re-raised: the process ends by it
 * before this promise settles (if something keeps it alive, the promise rejects with
 * `StartInterruptedError` about a second later).
 *
 * @throws ConfigError when the config cannot be loaded or is invalid, or (`share`) differs from the
 *   shared run's on a server both have.
 * @throws the start error of the first server that failed (see `startServers`).
 * @throws StartInterruptedError when a signal cut the start short (see above).
 * @throws RunConfigMismatchError when joining: the config differs from the CLI's (every server and
 *   field that differs is listed); ServerDeadError when a run-scoped server of the CLI has died.
 */
export async function startRun(options: StartRunOptions = {}): Promise<RunOwner> {
  const slot = globalThis as WithSharedRun;
  const shared = options.share === true && options.join !== false ? await liveSharedRun(slot) : undefined;
  const loaded = options.config === undefined ? await loadConfigOrShared(options, shared) : undefined;
  const config = options.config ?? loaded!.config;
  const plan = validateConfig(config);
  const invitation = options.join === false ? undefined : acceptJoinInvitation();
  if (invitation !== undefined)
    return joinInvitedRun({ kind: 'cli', stateFile: invitation }, plan, config, loaded?.path);
  if (options.share !== true || options.join === false) return createRun(config, loaded?.path, options);
  // Checked and claimed in one turn: a concurrent shared call waits for the run this one creates.
  for (let pending = slot[SHARED_RUN]; pending !== undefined; pending = slot[SHARED_RUN]) {
    const current = await pending;
    if (slot[SHARED_RUN] !== pending) continue;
    if (current !== undefined && current.stateFile === process.env[STATE_ENV]) {
      return joinInvitedRun({ kind: 'process', shared: current }, plan, config, loaded?.path);
    }
    // A run that failed to start, or one whose EPHEMERAL_SERVERS_STATE someone replaced: not joined.
    delete slot[SHARED_RUN];
  }
  let publish!: (run: SharedRun | undefined) => void;
  const claim = new Promise<SharedRun | undefined>((resolve) => (publish = resolve));
  slot[SHARED_RUN] = claim;
  let creator: RunOwner;
  try {
    creator = await createRun(config, loaded?.path, options);
  } catch (error) {
    if (slot[SHARED_RUN] === claim) delete slot[SHARED_RUN];
    publish(undefined);
    throw error;
  }
  const record: SharedRun = {
    stateFile: creator.run.stateFile,
    config,
    configFile: loaded?.path,
    holders: 0,
    added: [],
    end: async () => {
      if (slot[SHARED_RUN] === claim) delete slot[SHARED_RUN];
      const errors: unknown[] = [];
      for (const handle of record.added.splice(0).reverse())
        await handle.stop().catch((error: unknown) => errors.push(error));
      await creator.teardown().catch((error: unknown) => errors.push(error));
      if (errors.length > 0) throw new StopError(errors.flatMap((e) => (e instanceof StopError ? e.errors : [e])));
    },
  };
  publish(record);
  return holdSharedRun(record, creator);
}

/** The shared run of this process, if one is live (its state file is still `EPHEMERAL_SERVERS_STATE`). */
async function liveSharedRun(slot: WithSharedRun): Promise<SharedRun | undefined> {
  const shared = await slot[SHARED_RUN];
  return shared !== undefined && shared.stateFile === process.env[STATE_ENV] ? shared : undefined;
}

/** Loads the config; a shared joiner whose directory has none (a nested project) uses the shared run's. */
async function loadConfigOrShared(
  options: StartRunOptions,
  shared: SharedRun | undefined,
): Promise<{ config: ServersConfig; path: string | undefined }> {
  if (shared !== undefined && options.configFile === undefined && findConfigFile({ cwd: options.cwd }) === undefined) {
    return { config: shared.config, path: shared.configFile };
  }
  return loadServersConfig({ file: options.configFile, cwd: options.cwd });
}

/** One more owner of a shared run: its teardown releases it, and the last release ends the run. */
function holdSharedRun(shared: SharedRun, owner: RunOwner): RunOwner {
  shared.holders += 1;
  let released: Promise<void> | undefined;
  const teardown = (): Promise<void> => {
    released ??= (async () => {
      shared.holders -= 1;
      if (shared.holders === 0) await shared.end();
    })();
    return released;
  };
  return Object.create(owner, {
    teardown: { value: teardown },
    [Symbol.asyncDispose]: { value: teardown },
  }) as RunOwner;
}

/** Creates a run owned by this process and starts its run-scoped servers (see {@link startRun}). */
async function createRun(
  config: ServersConfig,
  configFile: string | undefined,
  options: StartRunOptions,
): Promise<RunOwner> {
  const owned: OwnedRun = await createOwnedRun({ exportEnv: options.exportEnv, sweep: options.sweep !== false });
  const { run } = owned;

  const startAborter = new AbortController();
  let servers: RunServers | undefined;
  let tearingDown: Promise<void> | undefined;
  let releaseSignals = (): void => undefined;
  const teardown = (): Promise<void> => {
    tearingDown ??= (async () => {
      const errors: unknown[] = [];
      // Worker-scoped servers handed over by workers first: they may depend on run-scoped ones. Then
      // this process's own (in-process ones can only be closed here), then anything still recorded.
      await owned.stopAll('worker').catch((error: unknown) => errors.push(error));
      await servers?.stop().catch((error: unknown) => errors.push(error));
      await owned.stopAll().catch((error: unknown) => errors.push(error));
      await owned.end().catch((error: unknown) => errors.push(error));
      releaseSignals();
      if (errors.length > 0) throw new StopError(errors.flatMap((e) => (e instanceof StopError ? e.errors : [e])));
    })();
    return tearingDown;
  };

  let starting: Promise<RunServers> | undefined;
  releaseSignals = handleSignalsFor({
    teardown: async (signal) => {
      if (servers === undefined) {
        // Interrupted while starting: the start fails, stops what it started and cleans up (below).
        startAborter.abort(new StartInterruptedError(signal));
        await Promise.allSettled([starting]);
        if (servers === undefined) return;
      }
      await teardown();
    },
    // A second signal: this process dies at once; the supervisor SIGKILLs everything when its pipe closes.
    killNow: () => owned.urgent(),
  });

  starting = (async () => {
    try {
      return await startRunServers(config, { stateFile: run.stateFile, signal: startAborter.signal });
    } catch (error) {
      // startRunServers has already stopped whatever it started.
      await owned.end();
      releaseSignals();
      throw error;
    }
  })();
  try {
    servers = await starting;
  } catch (error) {
    // Interrupted by a signal: the signal handler re-raises it as soon as the cleanup above is done,
    // ending the process by that signal. Rejecting first would let the caller exit with its own status.
    if (startAborter.signal.aborted) await sleep(INTERRUPTED_START_SETTLE_MS);
    throw error;
  }

  const started = servers;
  let current = config;
  return {
    run,
    joined: false,
    origin: 'created',
    get config() {
      return current;
    },
    configFile,
    endpoints: started.endpoints,
    readyMs: started.readyMs,
    async reload(next) {
      const result = await started.reload(next);
      current = next;
      return result;
    },
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

/** The run a {@link joinInvitedRun} joins: the CLI's (by its state file), or this process's shared one. */
type JoinTarget = { kind: 'cli'; stateFile: string } | { kind: 'process'; shared: SharedRun };

/**
 * The one join: checks the config against what the run recorded, reads the endpoints of its
 * run-scoped servers, and returns an owner that does not end the run.
 * - The CLI's run: every difference is a `RunConfigMismatchError`; the teardown stops the
 *   worker-scoped servers workers handed over (the run-scoped ones and the run are the CLI's).
 * - This process's shared run: a server the run has with another spec is a `ConfigError`; the
 *   run-scoped servers it lacks are started in it (and stopped when the run ends); servers of the run
 *   that this config does not have are another project's. The teardown releases the shared run.
 * @throws RunConfigMismatchError, ConfigError, ServerDeadError (see {@link startRun}); SupervisorUnreachableError.
 */
async function joinInvitedRun(
  target: JoinTarget,
  plan: ServerPlan,
  config: ServersConfig,
  configFile: string | undefined,
): Promise<RunOwner> {
  const stateFile = target.kind === 'cli' ? target.stateFile : target.shared.stateFile;
  const { run: paths, client } = joinRun(stateFile);
  const state = await client.request('state', {});
  const differences = compareWithRun(plan, state);
  if (target.kind === 'cli' && differences.length > 0) throw new RunConfigMismatchError(stateFile, differences);
  const conflicts = differences.filter(({ kind }) => kind === 'changed' || kind === 'unverifiable');
  if (conflicts.length > 0) {
    throw new ConfigError(
      conflicts.map(({ server, fields }) => ({
        server,
        path: fields[0] ?? '',
        message:
          `differs from the run-scoped server "${server}" that another global setup of this process started (${target.kind === 'process' ? (target.shared.configFile ?? 'an inline config') : stateFile})` +
          `${fields.length > 0 ? `: ${fields.map((field) => `\`${field}\``).join(', ')} differ` : ''}. One process has one run, and its run-scoped servers are shared by name: ` +
          'give every project the same servers config (list the global setup once, at the root), or give the servers different names.',
      })),
    );
  }
  const missing = differences.filter(({ kind }) => kind === 'missing').map(({ server }) => server);
  const endpoints: Record<string, Endpoint> = {};
  const readyMs: Record<string, number> = {};
  for (const name of plan.order) {
    const entry = state.servers[stateKey(name, 0)];
    if (entry === undefined || entry.scope !== 'run' || plan.specs.get(name)?.scope !== 'run') continue;
    if (entry.status === 'dead' || !isProcessAlive(entry.pid, entry.startTime)) {
      throw new ServerDeadError(
        name,
        entry.exit as ExitStatus | undefined,
        entry.logPath ? readLogTail(entry.logPath) : [],
      );
    }
    endpoints[name] = entry.endpoint;
    // Started by the run's creator, before this process asked: nothing to wait for here.
    readyMs[name] = 0;
  }
  if (target.kind === 'process' && missing.length > 0) {
    const handle = await startServers(config, { stateFile, scope: 'run', only: missing, exportEnv: false });
    target.shared.added.push(handle);
    Object.assign(endpoints, handle.endpoints);
    Object.assign(readyMs, handle.readyMs);
  }
  const reload = async (next: ServersConfig): Promise<ReloadResult> => {
    // A joined owner cannot change the run: a config that no longer fits it fails as the join would.
    const nextPlan = validateConfig(next);
    const nextDifferences = compareWithRun(nextPlan, await client.request('state', {})).filter(
      ({ kind }) => target.kind === 'cli' || kind !== 'extra',
    );
    if (nextDifferences.length > 0) throw new RunConfigMismatchError(stateFile, nextDifferences);
    return { restarted: [], started: [], stopped: [], workerStopped: [] };
  };
  const owner: RunOwner = {
    run: { ...paths, runId: state.runId },
    joined: true,
    origin: target.kind,
    config,
    configFile,
    endpoints,
    readyMs,
    reload,
    teardown: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  if (target.kind === 'process') return holdSharedRun(target.shared, owner);
  let tearingDown: Promise<void> | undefined;
  const teardown = (): Promise<void> => {
    // The worker-scoped servers workers handed over; the run-scoped ones and the run are the CLI's.
    tearingDown ??= stopRecordedServers(stateFile, { scope: 'worker' }).then(() => undefined);
    return tearingDown;
  };
  return { ...owner, teardown, [Symbol.asyncDispose]: teardown };
}
