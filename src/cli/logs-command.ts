import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateFileError } from '../errors.js';
import { readState } from '../state/index.js';
import { readStateEnv } from '../state/state-path.js';
import { stateKey, type StateEntry } from '../state/schema.js';
import { findRuns } from './list-runs.js';
import { UsageError } from './report-error.js';

/** Options of {@link logsCommand}. */
export interface LogsOptions {
  /** Slot of the instance (0: run-scoped). @default the only instance of that name, else slot 0 */
  slot?: number;
  /** State file. @default `EPHEMERAL_SERVERS_STATE`, else the live run that has a server of that name */
  state?: string;
  /** Keep printing what the server writes until it is stopped (or Ctrl+C). */
  follow?: boolean;
  /** Poll interval of `follow`, in milliseconds. @default 100 */
  intervalMs?: number;
}

async function locateStateFile(name: string, options: LogsOptions): Promise<string> {
  const explicit = options.state || readStateEnv();
  if (explicit !== undefined) return explicit;
  const { live } = await findRuns();
  const candidates = live.filter((run) => run.servers.some((server) => server.name === name));
  if (candidates.length === 1) return candidates[0]!.stateFile;
  if (candidates.length === 0) {
    throw new UsageError(`no live run has a server "${name}". \`ephemeral-servers ls\` lists the running servers.`);
  }
  throw new UsageError(
    `${candidates.length} live runs have a server "${name}"; pick one with --state:\n${candidates.map((run) => `  ${run.stateFile}`).join('\n')}`,
  );
}

function pickEntry(
  servers: Readonly<Record<string, StateEntry>>,
  name: string,
  slot: number | undefined,
  where: string,
): StateEntry {
  const instances = Object.values(servers).filter((entry) => entry.name === name);
  const known = Object.keys(servers).sort().join(', ') || '(none)';
  if (slot !== undefined) {
    const entry = servers[stateKey(name, slot)];
    if (!entry) throw new UsageError(`no server "${name}" in slot ${slot} in ${where}. Known: ${known}.`);
    return entry;
  }
  if (instances.length === 0) throw new UsageError(`no server "${name}" in ${where}. Known: ${known}.`);
  if (instances.length === 1) return instances[0]!;
  const runScoped = servers[stateKey(name, 0)];
  if (runScoped) return runScoped;
  throw new UsageError(
    `server "${name}" has one instance per worker slot (${instances
      .map((e) => e.slot)
      .sort((a, b) => a - b)
      .join(', ')}); pick one with --slot.`,
  );
}

/**
 * `ephemeral-servers logs <name>`: prints a command server's log file (stdout and stderr interleaved
 * as written); with `follow`, keeps printing until the server's entry leaves the state file.
 * @throws UsageError for an unknown server or slot, or an in-process server (it has no log file).
 * @throws StateFileError when the state file cannot be read.
 */
export async function logsCommand(
  name: string,
  options: LogsOptions,
  stdout: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const stateFile = await locateStateFile(name, options);
  const entry = pickEntry((await readState(stateFile)).servers, name, options.slot, stateFile);
  if (entry.logPath === undefined) {
    throw new UsageError(
      `server "${name}" runs in-process (inside a test worker): it has no log file; its output goes to that worker's output.`,
    );
  }
  const key = stateKey(entry.name, entry.slot);
  const file = await open(entry.logPath, 'r');
  try {
    let offset = 0;
    const drain = async (): Promise<void> => {
      const { size } = await stat(entry.logPath!);
      while (offset < size) {
        const buffer = Buffer.alloc(Math.min(size - offset, 64 * 1024));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        stdout.write(buffer.subarray(0, bytesRead));
      }
    };
    await drain();
    while (options.follow) {
      await sleep(options.intervalMs ?? 100);
      let stillThere: boolean;
      try {
        stillThere = (await readState(stateFile)).servers[key]?.pid === entry.pid;
      } catch (error) {
        // The run ended and its directory (state file and logs) is gone.
        if (error instanceof StateFileError && error.problem === 'missing') return;
        throw error;
      }
      try {
        await drain();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      if (!stillThere) return;
    }
  } finally {
    await file.close();
  }
}
