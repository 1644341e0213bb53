/**
 * Shared by the recipe tests (docs/recipes.md): start a recipe's config as a run of its own through the
 * public API, record what the run recorded about the server, report its ready time, and check that
 * nothing is left once the run is torn down.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { expect } from 'vitest';
import { startRun, type RunOwner, type ServersConfig } from '../../src/index.js';
import { readState, type StateEntry } from '../../src/state/index.js';
import { isLive } from '../helpers/processes.js';

/** What a recipe test needs to know about one started server, read from the run's state file. */
export interface StartedServer {
  entry: StateEntry;
  /** The instance's scratch directory (`{tmpDir}`), when the recipe uses one. */
  tmpDir: string | undefined;
}

/** A recipe's run: started with {@link startRecipe}, ended with {@link tearDownAndExpectNothingLeft}. */
export interface RecipeRun {
  owner: RunOwner;
  servers: Record<string, StartedServer>;
}

const owners = new Set<RunOwner>();

/** Tears down every run a test started and did not tear down itself (it failed first): for `afterEach`. */
export async function tearDownLeftoverRuns(): Promise<void> {
  const left = [...owners];
  owners.clear();
  await Promise.all(left.map((owner) => owner.teardown()));
}

/**
 * Starts `config` as a run of its own (`startRun`, as every adapter's global setup does), reads the
 * state entry of each server and prints each server's ready time as the library measured it
 * (`readyMs`), with the machine's load, so the test output carries the timings. Tests report timings;
 * they do not assert them.
 */
export async function startRecipe(recipe: string, config: ServersConfig): Promise<RecipeRun> {
  // sweep: false: leftovers of other runs are not this test's business, and other tests run beside it.
  const owner = await startRun({ config, exportEnv: false, sweep: false });
  owners.add(owner);
  const state = await readState(owner.run.stateFile);
  const servers: Record<string, StartedServer> = {};
  for (const name of Object.keys(config)) {
    const entry = state.servers[`${name}@0`];
    if (entry === undefined)
      throw new Error(`recipe ${recipe}: no state entry for ${name}@0 in ${owner.run.stateFile}`);
    servers[name] = { entry, tmpDir: entry.tmpDir };
    const ms = owner.readyMs[name] ?? Number.NaN;
    console.log(
      `recipe ${recipe}: ${name} ready in ${ms.toFixed(1)} ms (readyMs), pid ${entry.pid}, ${entry.endpoint.url}; load average ${loadavg()[0]!.toFixed(2)} on ${String(availableParallelism())} cores`,
    );
  }
  return { owner, servers };
}

/**
 * Tears the run down and checks that nothing it started is left once `teardown()` has resolved (no
 * waiting: the teardown promises it): no server process, none of its descendants (as they were just
 * before the teardown), no process of its process group, no process carrying the run's marker
 * (`EPHEMERAL_SERVERS_RUN_ID`), no listener on its port, no scratch directory, no run directory.
 */
export async function tearDownAndExpectNothingLeft({ owner, servers }: RecipeRun): Promise<void> {
  owners.delete(owner);
  // Descendants that left the server's group and hide the marker (PostgreSQL's children do both).
  const descendants = new Map(Object.entries(servers).map(([name, { entry }]) => [name, descendantsOf(entry.pid)]));
  await owner.teardown();
  const { runId, runDir } = owner.run;
  for (const [name, { entry, tmpDir }] of Object.entries(servers)) {
    expect(isLive(entry.pid), `${name}: server pid ${entry.pid} still live`).toBe(false);
    expect((descendants.get(name) ?? []).filter(isLive), `${name}: descendants of pid ${entry.pid} still live`).toEqual(
      [],
    );
    if (entry.pgid !== undefined)
      expect(processesInGroup(entry.pgid), `${name}: processes left in group ${entry.pgid}`).toEqual([]);
    expect(
      await acceptsConnections(entry.endpoint.host, entry.endpoint.port),
      `${name}: ${entry.endpoint.host}:${entry.endpoint.port} still accepts connections`,
    ).toBe(false);
    if (tmpDir !== undefined) expect(existsSync(tmpDir), `${name}: scratch directory ${tmpDir} left`).toBe(false);
  }
  expect(processesWithMarker(runId), `processes carrying EPHEMERAL_SERVERS_RUN_ID=${runId}`).toEqual([]);
  expect(existsSync(runDir), `run directory ${runDir} left`).toBe(false);
}

/** Whether a TCP connection to `host:port` is accepted: `false` on ECONNREFUSED, any other error rethrown. */
export function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      if (error.code === 'ECONNREFUSED') resolve(false);
      else reject(error);
    });
  });
}

/** Live pids of `/proc` whose process group is `pgid` (zombies excluded: they are dead). */
export function processesInGroup(pgid: number): number[] {
  return livePids().filter((pid) => {
    const fields = statFields(pid);
    return fields !== undefined && fields[0] !== 'Z' && fields[0] !== 'X' && Number(fields[2]) === pgid;
  });
}

/** Live descendants of `pid` (children, their children, …), found through each process's parent in `/proc`. */
export function descendantsOf(pid: number): number[] {
  const childrenByParent = new Map<number, number[]>();
  for (const candidate of livePids()) {
    const fields = statFields(candidate);
    if (fields === undefined || fields[0] === 'Z' || fields[0] === 'X') continue;
    const parent = Number(fields[1]);
    childrenByParent.set(parent, [...(childrenByParent.get(parent) ?? []), candidate]);
  }
  const found: number[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of childrenByParent.get(next) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Live pids of `/proc` whose environment carries `EPHEMERAL_SERVERS_RUN_ID=<runId>`. */
export function processesWithMarker(runId: string): number[] {
  const marker = `EPHEMERAL_SERVERS_RUN_ID=${runId}`;
  return livePids().filter((pid) => {
    const fields = statFields(pid);
    if (fields === undefined || fields[0] === 'Z' || fields[0] === 'X') return false;
    const environ = readProcFile(`/proc/${String(pid)}/environ`);
    return environ !== undefined && environ.split('\0').includes(marker);
  });
}

function livePids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** The fields of `/proc/<pid>/stat` after the command: state, ppid, pgrp, …; `undefined` once it is gone. */
function statFields(pid: number): string[] | undefined {
  const stat = readProcFile(`/proc/${String(pid)}/stat`);
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** A `/proc` file's text, or `undefined` when the process exited meanwhile (ENOENT, ESRCH) or hides it (EACCES). */
function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES') return undefined;
    throw error;
  }
}
