/**
 * The harness half of the consumer contract: what one runner invocation must have done, checked from
 * the reports its test files wrote (contract/visit.cjs) and from the machine after the runner exited.
 * Written once, checked for every adapter.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findPortHolder } from '../../../src/ports/find-port-holder.js';
import { isLive, waitUntilGone } from '../../helpers/processes.js';

/** What a run's package.json entry expects (see test/consumers/README.md). */
export interface ContractExpectation {
  /** Test files that call `visitServers`, each exactly once. */
  files: number;
  /** Fewest distinct worker slots the files must have run in (2 proves parallel workers). @default 1 */
  minSlots?: number;
  /** Most distinct worker slots (1 for a serial run). @default no limit */
  maxSlots?: number;
}

interface EndpointReport {
  name: string;
  slot: number;
  host: string;
  port: number;
  url: string;
}

/** One test file's report, as contract/visit.cjs writes it. */
export interface VisitReport {
  file: string;
  slot: number;
  testPid: number;
  stateFile: string | null;
  endpoints: Record<'shared' | 'api' | 'inproc', EndpointReport>;
  pids: Record<'shared' | 'api' | 'inproc', number>;
}

/** Reads every report of a run. */
export function readReports(reportDir: string): VisitReport[] {
  return readdirSync(reportDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(reportDir, name), 'utf8')) as VisitReport);
}

/**
 * Checks what the reports say about the run while it ran: one run (one state file), one `shared`
 * instance, one `api` instance per slot reused by every file of that slot, never shared between
 * slots, and the number of slots. Returns the problems found (empty when the contract holds).
 */
export function checkReports(reports: readonly VisitReport[], expected: ContractExpectation): string[] {
  const problems: string[] = [];
  if (reports.length !== expected.files)
    problems.push(`expected ${expected.files} test file reports, got ${reports.length}`);
  const distinct = <T>(values: T[]): T[] => [...new Set(values)];
  const stateFiles = distinct(reports.map((r) => r.stateFile));
  if (stateFiles.length !== 1 || stateFiles[0] === null)
    problems.push(`expected one state file for the run, got ${JSON.stringify(stateFiles)}`);
  const sharedUrls = distinct(reports.map((r) => `${r.endpoints.shared.url} pid ${r.pids.shared}`));
  if (sharedUrls.length !== 1)
    problems.push(`the run-scoped server must be one instance, got ${JSON.stringify(sharedUrls)}`);

  const bySlot = new Map<number, VisitReport[]>();
  for (const report of reports) bySlot.set(report.slot, [...(bySlot.get(report.slot) ?? []), report]);
  const apiBySlot = new Map<number, string>();
  for (const [slot, slotReports] of bySlot) {
    const apis = distinct(slotReports.map((r) => `${r.endpoints.api.url} pid ${r.pids.api}`));
    if (apis.length !== 1)
      problems.push(
        `slot ${slot}: the worker-scoped command server must be reused by every file of the slot, got ${JSON.stringify(apis)}`,
      );
    apiBySlot.set(slot, apis[0]!);
  }
  const apiInstances = [...apiBySlot.values()];
  if (distinct(apiInstances).length !== apiInstances.length)
    problems.push(`two slots shared a worker-scoped instance: ${JSON.stringify(Object.fromEntries(apiBySlot))}`);
  const apiPorts = distinct(reports.map((r) => r.endpoints.api.port));
  if (apiPorts.length !== bySlot.size)
    problems.push(`expected one api port per slot, got ${JSON.stringify(apiPorts)} for ${bySlot.size} slot(s)`);
  if (![...bySlot.values()].some((slotReports) => slotReports.length > 1) && reports.length > bySlot.size) {
    problems.push('no slot ran two files: reuse across files was not exercised');
  }
  if (bySlot.size < (expected.minSlots ?? 1))
    problems.push(
      `expected at least ${expected.minSlots} worker slots, got ${bySlot.size} (${[...bySlot.keys()].join(', ')})`,
    );
  if (expected.maxSlots !== undefined && bySlot.size > expected.maxSlots)
    problems.push(`expected at most ${expected.maxSlots} worker slots, got ${bySlot.size}`);
  return problems;
}

/**
 * The starts the contract's command servers logged during a run (contract/server.mjs appends
 * `<name> pid=<pid>` to `starts.log` in the report directory): pids by server name, in start order.
 */
export function readStarts(reportDir: string): Record<string, number[]> {
  const path = join(reportDir, 'starts.log');
  const starts: Record<string, number[]> = {};
  if (!existsSync(path)) return starts;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^(\S+) pid=(\d+)$/.exec(line);
    if (match) (starts[match[1]!] ??= []).push(Number(match[2]));
  }
  return starts;
}

/**
 * Checks the starts against the reports: the run-scoped `shared` started exactly once (under
 * `ephemeral-servers run`, by the CLI, and not again by the runner's global setup), the worker-scoped
 * `api` exactly once per slot that ran files, each start being the instance that slot's files saw.
 * Returns the problems found.
 */
export function checkStarts(
  starts: Readonly<Record<string, readonly number[]>>,
  reports: readonly VisitReport[],
): string[] {
  const problems: string[] = [];
  const shared = starts.shared ?? [];
  if (shared.length !== 1)
    problems.push(
      `the run-scoped server must start once, it started ${shared.length} times (pids ${shared.join(', ')})`,
    );
  const slots = new Set(reports.map((r) => r.slot));
  const api = starts.api ?? [];
  if (api.length !== slots.size)
    problems.push(
      `the worker-scoped command server must start once per slot: ${api.length} starts (pids ${api.join(', ')}) for ${slots.size} slot(s)`,
    );
  const seen = new Set(reports.map((r) => r.pids.api));
  if (![...seen].every((pid) => api.includes(pid)))
    problems.push(`the files saw api pids ${[...seen].join(', ')}, not all of them among the starts ${api.join(', ')}`);
  return problems;
}

/**
 * Live processes (zombies excluded) whose environment holds `entry` (`NAME=value`), with their
 * command lines (Linux, `/proc/<pid>/environ`; as root every process is readable, except where a
 * container forbids it: those are skipped).
 */
export function findProcessesWithEnv(entry: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid || !isLive(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry)) continue;
      found.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch (error) {
      // Gone meanwhile, or not ours to read.
      if (['ENOENT', 'ESRCH', 'EACCES', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) continue;
      throw error;
    }
  }
  return found;
}

/**
 * Live processes whose environment says they belong to the run of `stateFile`: every server the run
 * spawned, their children, and the runner's workers inherit `EPHEMERAL_SERVERS_STATE`.
 */
export function findProcessesOfRun(stateFile: string): number[] {
  return findProcessesWithEnv(`EPHEMERAL_SERVERS_STATE=${stateFile}`).map((p) => p.pid);
}

/** Polls `find` until it returns nothing or `timeoutMs` passed; returns its last answer. */
async function waitUntilNone(find: () => number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Checks that nothing of the run is left once its runner exited: no process of the run (the servers'
 * own pids, and any process carrying the run's `EPHEMERAL_SERVERS_STATE`), no listening port of the
 * run's servers held by such a process, no run directory. Processes get up to `graceMs` to go.
 * Returns the problems found.
 */
export async function checkNothingLeft(reports: readonly VisitReport[], graceMs = 2000): Promise<string[]> {
  const problems: string[] = [];
  const pids = [...new Set(reports.flatMap((r) => [r.pids.shared, r.pids.api, r.testPid]))];
  const live = await waitUntilGone(pids, graceMs);
  if (live.length > 0)
    problems.push(`processes of the run still running (servers or test workers): ${live.join(', ')}`);
  const stateFiles = [...new Set(reports.map((r) => r.stateFile).filter((path) => path !== null))];
  for (const stateFile of stateFiles) {
    // The run's supervisor, among others, exits on its own right after the teardown: give it the grace too.
    const others = await waitUntilNone(() => findProcessesOfRun(stateFile), graceMs);
    if (others.length > 0)
      problems.push(`processes with the run's EPHEMERAL_SERVERS_STATE still running: ${others.join(', ')}`);
    if (existsSync(dirname(stateFile))) problems.push(`run directory still exists: ${dirname(stateFile)}`);
  }
  // A port number may be reused by someone else by now: only a holder of this run counts.
  const ports = [
    ...new Set(reports.flatMap((r) => [r.endpoints.shared.port, r.endpoints.api.port, r.endpoints.inproc.port])),
  ];
  for (const port of ports) {
    const holder = await findPortHolder(port);
    if (
      holder !== undefined &&
      (pids.includes(holder.pid) || stateFiles.some((stateFile) => findProcessesOfRun(stateFile).includes(holder.pid)))
    ) {
      problems.push(`port ${port} still listening, held by pid ${holder.pid} (${holder.command})`);
    }
  }
  return problems;
}
