/**
 * What a failing test gets told about the servers it used, the same for every adapter: the ones that
 * died (a {@link ServerDeadError} each, with its exit status, when, its output and its kept log) and
 * what each one wrote while the test ran. A passing test costs one state file read at its start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { ServerDeadError, StateFileError, type ExitStatus } from '../errors.js';
import { keepAllLogs, keptLogPath } from '../logs/kept-logs.js';
import { logSize, readLogSince, readLogTail } from '../process/log-follower.js';
import { hasProcessEnded } from '../process/process-identity.js';
import { stateKey, type StateEntry, type StateFile } from '../state/schema.js';
import { readStateSync } from '../state/state-file.js';

/** Environment variable that turns off the server output attached to failing tests (`0` or `false`). */
export const OUTPUT_ON_FAILURE_ENV = 'EPHEMERAL_SERVERS_OUTPUT_ON_FAILURE';
/** Lines of each server's output attached to a failing test, at most (the last ones, repeats collapsed). */
export const FAILURE_OUTPUT_LINES = 50;
/** How long a failing test waits for the supervisor to record a server whose process is gone as dead, in ms. */
const SETTLE_MS = 250;

/** Whether failing tests get the servers' output (on unless `EPHEMERAL_SERVERS_OUTPUT_ON_FAILURE` is `0` or `false`). */
export function isOutputOnFailureEnabled(): boolean {
  const value = process.env[OUTPUT_ON_FAILURE_ENV];
  return value !== '0' && value !== 'false';
}

/** The state, or `undefined` when the run is already over (its state file is gone). */
function readStateIfAny(stateFile: string): StateFile | undefined {
  try {
    return readStateSync(stateFile);
  } catch (error) {
    if (error instanceof StateFileError && error.problem === 'missing') return undefined;
    throw error;
  }
}

/** Where each command server's log stood when a test started: what it writes from there on is that test's. */
export type LogMarks = ReadonlyMap<string, { logPath: string; offset: number }>;

/** Marks every command server's log of the run (of slot 0 and `slot`, when given) at the start of a test. */
export function markLogs(stateFile: string, slot?: number): LogMarks {
  const marks = new Map<string, { logPath: string; offset: number }>();
  const state = readStateIfAny(stateFile);
  for (const [key, entry] of Object.entries(state?.servers ?? {})) {
    if (entry.logPath === undefined || (slot !== undefined && entry.slot !== 0 && entry.slot !== slot)) continue;
    marks.set(key, { logPath: entry.logPath, offset: logSize(entry.logPath) });
  }
  return marks;
}

function deadError(entry: StateEntry): ServerDeadError {
  const tail = entry.logPath === undefined ? [] : readLogTail(entry.logPath);
  const error = new ServerDeadError(entry.name, entry.exit as ExitStatus | undefined, tail, {
    slot: entry.slot,
    exitedAt: entry.exitedAt,
    logPath: entry.logPath,
  });
  // Where this package noticed is no news to the test: the runner prints the story alone.
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

/** Deaths already reported by this process (`<stateFile>\0<key>\0<pid>`): a later failing test is not told again. */
const reported = new Set<string>();

/**
 * The command servers among `keys` (`<name>@<slot>`) that are dead: recorded dead by the supervisor, or
 * whose process is gone, in which case the record (with the exit status) is awaited for up to 250 ms.
 * A death this process already reported is left out, unless it happened after `testStartedAt` (epoch
 * ms): the first failing test after a death gets the story, not every later one.
 */
export async function findDeadServers(
  stateFile: string,
  keys: Iterable<string>,
  testStartedAt = 0,
): Promise<ServerDeadError[]> {
  const wanted = [...new Set(keys)];
  const deadline = performance.now() + SETTLE_MS;
  for (;;) {
    const state = readStateIfAny(stateFile);
    if (state === undefined) return [];
    const dead: StateEntry[] = [];
    let unsettled = false;
    for (const key of wanted) {
      const entry = state.servers[key];
      if (entry === undefined || entry.kind !== 'command') continue;
      if (entry.status === 'dead') dead.push(entry);
      else if (hasProcessEnded(entry.pid, entry.startTime)) {
        unsettled = true;
        dead.push(entry);
      }
    }
    if (!unsettled || performance.now() >= deadline) {
      const fresh = dead.filter((entry) => {
        const id = `${stateFile}\0${entry.name}@${entry.slot}\0${entry.pid}`;
        const diedDuring = entry.exitedAt === undefined || Date.parse(entry.exitedAt) >= testStartedAt;
        if (reported.has(id) && !diedDuring) return false;
        reported.add(id);
        return true;
      });
      return fresh.map(deadError);
    }
    await sleep(10);
  }
}

/** What one server wrote during a failing test. */
export interface ServerOutput {
  /** `<name>@<slot>`. */
  key: string;
  /** The last lines it wrote during the test ({@link FAILURE_OUTPUT_LINES} at most, repeats collapsed). */
  lines: string[];
  /** Where its whole log is kept after the run. */
  logPath: string;
}

/** What each server among `keys` wrote since `marks` (servers started during the test: from their first line). */
export function outputSince(stateFile: string, marks: LogMarks, keys: Iterable<string>): ServerOutput[] {
  const state = readStateIfAny(stateFile);
  const outputs: ServerOutput[] = [];
  for (const key of new Set(keys)) {
    const entry = state?.servers[key];
    const logPath = entry?.logPath ?? marks.get(key)?.logPath;
    if (logPath === undefined) continue;
    const mark = marks.get(key);
    const lines = readLogSince(logPath, mark?.logPath === logPath ? mark.offset : 0, FAILURE_OUTPUT_LINES);
    if (lines.length > 0) outputs.push({ key, lines, logPath: keptLogPath(logPath) ?? logPath });
  }
  return outputs;
}

/** One server's output as the text a failure shows. */
export function formatServerOutput(output: ServerOutput): string {
  return `Output of server ${output.key} during this test:\n${output.lines.map((line) => `  | ${line}`).join('\n')}\n  full log (kept after the run): ${output.logPath}`;
}

/** A test failed: every log of the run is kept when it ends (see `keepRunLogs`). */
export function keepLogsOfFailedRun(stateFile: string): void {
  keepAllLogs(join(dirname(stateFile), 'logs'));
}

/** Where a test began: the servers' log marks and the time (epoch ms). */
export interface TestStart {
  readonly startedAt: number;
  readonly marks: LogMarks;
}

/** Called as a test begins: marks the logs (unless the output is turned off, see {@link isOutputOnFailureEnabled}). */
export function markTestStart(stateFile: string, slot?: number): TestStart {
  return { startedAt: Date.now(), marks: isOutputOnFailureEnabled() ? markLogs(stateFile, slot) : new Map() };
}

/** What a failing test is told about the servers it used. */
export interface FailureReport {
  /** The ones that died (see {@link findDeadServers}). */
  dead: ServerDeadError[];
  /** What each live one wrote during the test (none when the output is turned off). */
  outputs: ServerOutput[];
}

/**
 * Called when a test failed: keeps the run's logs ({@link keepLogsOfFailedRun}), and finds which of
 * `keys` died and what the others wrote since `start`.
 */
export async function reportFailedTest(
  stateFile: string,
  keys: readonly string[],
  start: TestStart,
): Promise<FailureReport> {
  keepLogsOfFailedRun(stateFile);
  const dead = await findDeadServers(stateFile, keys, start.startedAt);
  if (!isOutputOnFailureEnabled()) return { dead, outputs: [] };
  const deadKeys = new Set(dead.map((error) => stateKey(error.server, error.slot ?? 0)));
  return {
    dead,
    outputs: outputSince(
      stateFile,
      start.marks,
      keys.filter((key) => !deadKeys.has(key)),
    ),
  };
}

/** The error a test fails with for its dead servers: the one `ServerDeadError`, or an `AggregateError` of them; `undefined` for none. */
export function deadServersError(dead: readonly ServerDeadError[]): Error | undefined {
  if (dead.length <= 1) return dead[0];
  return new AggregateError(
    dead,
    `${dead.length} servers this test used have died:\n\n${dead.map((error) => error.message).join('\n\n')}`,
  );
}
