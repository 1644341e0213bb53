import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateFileError } from '../errors.js';
import { RUN_DIR_PREFIX } from '../run/run-dir.js';
import { checkProcessIdentities } from '../process/process-identity.js';
import { readState } from '../state/index.js';
import type { StateFile } from '../state/schema.js';

/** One server of a run, as `ls` shows it. Plain JSON. */
export interface ServerListing {
  /** `<name>@<slot>`. */
  key: string;
  name: string;
  /** 0 for `run`-scoped servers, 1..N for `worker`-scoped ones. */
  slot: number;
  scope: 'run' | 'worker';
  kind: 'command' | 'in-process';
  /** As recorded (`starting`, `running`, `dead`), or `gone` when the recorded process no longer exists. */
  status: 'starting' | 'running' | 'dead' | 'gone';
  pid: number;
  host: string;
  port: number;
  url: string;
  /** ISO 8601. */
  startedAt: string;
  /** Absent for in-process servers. */
  logPath: string | undefined;
}

/** One run, as `ls` shows it. Plain JSON. */
export interface RunListing {
  runId: string;
  stateFile: string;
  runDir: string;
  /** ISO 8601. */
  createdAt: string;
  owner: { pid: number; alive: boolean };
  servers: ServerListing[];
}

/**
 * Describes a run from its state file (pid + start time checked for every process, all in one pass of
 * the platform backend). A process whose identity cannot be established (see `checkProcessIdentity`)
 * counts as alive: it may be the one.
 *
 * @throws ProcessTableError when no platform backend works here.
 */
export function describeRun(state: StateFile, stateFile: string): RunListing {
  const entries = Object.entries(state.servers).sort(([a], [b]) => a.localeCompare(b));
  const [owner, ...servers] = checkProcessIdentities([state.owner, ...entries.map(([, entry]) => entry)]).map(
    (identity) => identity === 'alive' || identity === 'unverified',
  );
  return {
    runId: state.runId,
    stateFile,
    runDir: state.runDir,
    createdAt: state.createdAt,
    owner: { pid: state.owner.pid, alive: owner === true },
    servers: entries.map(([key, entry], index) => ({
      key,
      name: entry.name,
      slot: entry.slot,
      scope: entry.scope,
      kind: entry.kind,
      status: entry.status !== 'dead' && servers[index] !== true ? 'gone' : entry.status,
      pid: entry.pid,
      host: entry.endpoint.host,
      port: entry.endpoint.port,
      url: entry.endpoint.url,
      startedAt: entry.startedAt,
      logPath: entry.logPath,
    })),
  };
}

/** Reads and describes one run. @throws StateFileError as `readState` does. */
export async function readRun(stateFile: string): Promise<RunListing> {
  return describeRun(await readState(stateFile), stateFile);
}

/**
 * Runs found under the temp dir (run directories named `ephemeral-servers-run-*` holding a readable
 * state file of ours): `live` ones (owner alive) and the number of `stale` ones (owner dead; `prune`
 * removes them). Other users' runs and unreadable files are skipped.
 *
 * @param tmpDir @default os.tmpdir()
 */
export async function findRuns(tmpDir: string = tmpdir()): Promise<{ live: RunListing[]; stale: number }> {
  const names = (await readdir(tmpDir)).filter((name) => name.startsWith(RUN_DIR_PREFIX)).sort();
  const live: RunListing[] = [];
  let stale = 0;
  for (const name of names) {
    let run: RunListing;
    try {
      run = await readRun(join(tmpDir, name, 'state.json'));
    } catch (error) {
      // Being created or removed right now, another user's, or not ours: not a run to list.
      if (error instanceof StateFileError) continue;
      throw error;
    }
    if (run.owner.alive) live.push(run);
    else stale += 1;
  }
  live.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return { live, stale };
}
