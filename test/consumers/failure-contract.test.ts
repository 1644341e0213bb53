/**
 * The failure-mode contract, written once and run over every runner against the packed package
 * (issue 13, item 6): Vitest, Jest 30 and Playwright through their adapters, and the CLI around a
 * plain `node` script. Each runner's scenario files live in its consumer project
 * (`failure-contract/`, `*.failure-contract.config.*`); the servers are contract/failure-contract.config.mjs
 * (a ← b ← c run-scoped, w worker-scoped after c, and `broken` for the start failure), the test body
 * contract/hold.cjs.
 *
 * - start failure: the runner's output names the typed error and the server; nothing is left (no
 *   process of the invocation, no run directory, nothing on a port of its servers);
 * - SIGKILL of the runner during a test: 1 s later nothing of ours is left (servers, supervisor, the
 *   Playwright launcher, run directories, ports); the servers were stopped c, b, a (w before b); the
 *   runner's own workers are reported apart (asserted only where a bound is stated: Vitest and
 *   Playwright, 2 s, after any signal);
 * - SIGINT and SIGTERM (and SIGHUP for Playwright) to the runner during a test: the servers stop c,
 *   b, a, w before b (their own stop logs), nothing of ours is left within 5 s, and the runner ends as it does
 *   without the package (PLAIN_EXIT, measured).
 *
 * Timings are reported (console.log), not asserted, except the two stated bounds above. Invocations
 * run two at a time (2 cores).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPortHolder } from '../../src/ports/find-port-holder.js';
import { RUN_DIR_PREFIX } from '../../src/run/run-dir.js';
import { isLive } from '../helpers/processes.js';
import { childEnv, killGroup, spawnCollected, type SpawnResult } from '../helpers/spawn.js';
import { findProcessesWithEnv } from './contract/check-contract.js';
import { findConsumers, useConsumers } from './harness/consumers.mjs';

type Signal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
type Scenario = 'start-failure' | 'SIGKILL' | Signal;
type RunnerName = 'vitest' | 'jest30' | 'playwright' | 'cli';
/** How a process ended: `{ code }` or `{ signal }`. */
type Exit = { code: number } | { signal: NodeJS.Signals };

const consumersDir = dirname(fileURLToPath(import.meta.url));
const contractConfig = join(consumersDir, 'contract', 'failure-contract.config.mjs');

/**
 * How each runner ends on SIGINT / SIGTERM to its main process while a test runs, WITHOUT the
 * package: measured once (2026-12-02, this machine) with a plain project in each consumer's
 * node_modules (no globalSetup, one test holding 15 s, the signal to the runner's pid only). Figures:
 * Vitest 4.1.12 exits 130 / 143 (12 / 7 ms after the signal); Jest 30.5.2 dies of SIGINT / SIGTERM
 * (6 / 4 ms); Playwright 1.65.1 exits 130 on SIGINT (54 ms) and dies of SIGTERM (22 ms); a plain
 * `node script` dies of either (5 / 4 ms). SIGHUP only for Playwright (its webServer launcher must
 * go on every signal, issue 14): plain Playwright dies of it (20 ms). With the package each must end
 * the same way.
 */
const PLAIN_EXIT: Record<RunnerName, Partial<Record<Signal, Exit>>> = {
  vitest: { SIGINT: { code: 130 }, SIGTERM: { code: 143 } },
  jest30: { SIGINT: { signal: 'SIGINT' }, SIGTERM: { signal: 'SIGTERM' } },
  playwright: { SIGINT: { code: 130 }, SIGTERM: { signal: 'SIGTERM' }, SIGHUP: { signal: 'SIGHUP' } },
  cli: { SIGINT: { signal: 'SIGINT' }, SIGTERM: { signal: 'SIGTERM' } },
};

interface Runner {
  name: RunnerName;
  /** The consumer project it runs in (its node_modules hold the packed package). */
  dir: string;
  /** `node <argv>`: the runner's main process itself (no npm, no shell), so a signal reaches it alone. */
  argv: string[];
  env: Record<string, string>;
  /**
   * A stated bound for its workers after any signal to the runner, in ms: Vitest's forked worker
   * watches its parent for 2 s after the disconnect, Playwright's workers holding the worker fixture
   * go within 2 s (docs/runner-modes.md, "Runner workers and their runner"). Elsewhere they are
   * only counted.
   */
  workersGoneMs?: number;
}

const consumer = (name: string): string => join(consumersDir, name);
const RUNNERS: Runner[] = [
  {
    name: 'vitest',
    dir: consumer('vitest'),
    argv: ['node_modules/vitest/vitest.mjs', 'run', '-c', 'vitest.failure-contract.config.mjs'],
    env: { EPHEMERAL_SERVERS_CONFIG: contractConfig },
    workersGoneMs: 2000,
  },
  {
    name: 'jest30',
    dir: consumer('jest30'),
    argv: ['node_modules/jest/bin/jest.js', '-c', 'jest.failure-contract.config.cjs'],
    env: { EPHEMERAL_SERVERS_CONFIG: contractConfig },
  },
  {
    name: 'playwright',
    dir: consumer('playwright'),
    argv: ['node_modules/@playwright/test/cli.js', 'test', '-c', 'playwright.failure-contract.config.ts'],
    env: {},
    workersGoneMs: 2000,
  },
  {
    name: 'cli',
    dir: consumer('vitest'),
    argv: [
      'node_modules/ephemeral-servers/dist/cli.js',
      'run',
      '--config',
      contractConfig,
      '--',
      'node',
      join(consumersDir, 'contract', 'hold-command.cjs'),
    ],
    env: {},
  },
];
const SCENARIOS: Scenario[] = ['start-failure', 'SIGKILL', 'SIGINT', 'SIGTERM', 'SIGHUP'];
const CASES = SCENARIOS.flatMap((scenario) =>
  RUNNERS.filter(
    (runner) =>
      scenario === 'start-failure' || scenario === 'SIGKILL' || PLAIN_EXIT[runner.name][scenario] !== undefined,
  ).map((runner) => ({ scenario, runner, label: `${runner.name}: ${scenario}` })),
);

const workDir = mkdtempSync(join(tmpdir(), 'es-failure-contract-'));
let releaseLock: (() => Promise<void>) | undefined;

beforeAll(async () => {
  // Every consumer, not only this file's three: then consumers.test.ts finds nothing left to refresh
  // and runs beside this file (both hold the run lock shared).
  ({ release: releaseLock } = await useConsumers(findConsumers(consumersDir), workDir));
}, 660_000);

const rows: string[] = [];
afterAll(async () => {
  console.log(`[failure contract] scenario × runner:\n${rows.sort().join('\n')}`);
  rmSync(workDir, { recursive: true, force: true });
  await releaseLock?.();
});

/** Two invocations at a time: each runner uses a core while it starts. */
const slots = { free: 2, waiting: [] as (() => void)[] };
async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  while (slots.free === 0) await new Promise<void>((resolve) => slots.waiting.push(resolve));
  slots.free -= 1;
  try {
    return await work();
  } finally {
    slots.free += 1;
    slots.waiting.shift()?.();
  }
}

interface ServerStart {
  name: string;
  pid: number;
  port: number;
  stateFile: string | null;
}

/** One invocation's files: reports (servers.jsonl, stops.log, inside-<pid>, release) and its TMPDIR. */
function invocationDirs(label: string): { reportDir: string; tmp: string; cache: string } {
  const base = mkdtempSync(join(workDir, `${label.replace(/\W+/g, '-')}-`));
  const dirs = { reportDir: join(base, 'reports'), tmp: join(base, 'tmp'), cache: join(base, 'cache') };
  mkdirSync(dirs.reportDir);
  mkdirSync(dirs.tmp);
  return dirs;
}

const readLines = (path: string): string[] =>
  existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
const serverStarts = (reportDir: string): ServerStart[] =>
  readLines(join(reportDir, 'servers.jsonl')).map((line) => JSON.parse(line) as ServerStart);
/** The order the chain's servers got SIGTERM (their own stop logs). */
const chainStops = (reportDir: string): string[] =>
  readLines(join(reportDir, 'stops.log')).filter((name) => ['a', 'b', 'c'].includes(name));
const runDirs = (tmp: string): string[] => readdirSync(tmp).filter((name) => name.startsWith(RUN_DIR_PREFIX));

/** Live processes whose environment has `TMPDIR=<tmp>`: everything the invocation started. */
const processesOf = (tmp: string): { pid: number; cmdline: string }[] => findProcessesWithEnv(`TMPDIR=${tmp}`);

/**
 * What is left of ours: live servers, live processes of the package (supervisor, Playwright's
 * launcher and its `sh -c`, the CLI), run directories, and ports of the servers held by any of them.
 * The runner's own processes (workers, the CLI's command) are listed apart, as `workers`.
 */
async function leftovers(
  tmp: string,
  starts: readonly ServerStart[],
  runnerPid: number,
): Promise<{ ours: string[]; workers: number[] }> {
  const processes = processesOf(tmp).filter((p) => p.pid !== runnerPid);
  const serverPids = new Set(starts.map((s) => s.pid));
  const isOurs = (p: { pid: number; cmdline: string }): boolean =>
    serverPids.has(p.pid) || p.cmdline.includes('ephemeral-servers');
  const ours = [
    ...starts.filter((s) => isLive(s.pid)).map((s) => `server ${s.name} (pid ${s.pid})`),
    ...processes
      .filter((p) => !serverPids.has(p.pid) && isOurs(p))
      .map((p) => `pid ${p.pid} (${p.cmdline.slice(0, 120)})`),
    ...runDirs(tmp).map((name) => `run directory ${name}`),
  ];
  const knownPids = new Set([...serverPids, ...processes.map((p) => p.pid)]);
  for (const start of starts) {
    const holder = await findPortHolder(start.port);
    if (holder !== undefined && knownPids.has(holder.pid))
      ours.push(`port ${start.port} (${start.name}) held by pid ${holder.pid}`);
  }
  return { ours, workers: processes.filter((p) => !isOurs(p)).map((p) => p.pid) };
}

/** Polls {@link leftovers} until nothing of ours is left or `timeoutMs` passed since `sinceMs`. */
async function untilNothingOfOurs(
  tmp: string,
  starts: readonly ServerStart[],
  runnerPid: number,
  sinceMs: number,
  timeoutMs: number,
) {
  for (;;) {
    const left = await leftovers(tmp, starts, runnerPid);
    const ms = Math.round(performance.now() - sinceMs);
    if (left.ours.length === 0 || ms > timeoutMs) return { ...left, ms };
    await sleep(10);
  }
}

/** Polls until none of `pids` is live or `timeoutMs` passed since `sinceMs`. */
async function untilGone(
  pids: readonly number[],
  sinceMs: number,
  timeoutMs: number,
): Promise<{ live: number[]; ms: number }> {
  for (;;) {
    const live = pids.filter(isLive);
    const ms = Math.round(performance.now() - sinceMs);
    if (live.length === 0 || ms > timeoutMs) return { live, ms };
    await sleep(10);
  }
}

const describeExit = (result: Pick<SpawnResult, 'code' | 'signal'>): string =>
  result.signal !== null ? `signal ${result.signal}` : `code ${result.code}`;
const describePlain = (exit: Exit): string => ('signal' in exit ? `signal ${exit.signal}` : `code ${exit.code}`);

describe.concurrent('failure-mode contract (packed package)', () => {
  it.each(CASES)(
    '$label',
    ({ scenario, runner, label }) =>
      withSlot(async () => {
        const dirs = invocationDirs(label);
        const env = childEnv({
          CI: 'true',
          FORCE_COLOR: '0',
          NO_COLOR: '1',
          TMPDIR: dirs.tmp,
          ES_CONTRACT_REPORT_DIR: dirs.reportDir,
          ES_CONSUMER_CACHE_DIR: dirs.cache,
          ...(scenario === 'start-failure' ? { ES_FAILURE_SCENARIO: 'start-failure' } : {}),
          ...runner.env,
        });
        const spawnedAt = performance.now();
        const spawned = spawnCollected(process.execPath, runner.argv, { cwd: runner.dir, env, detached: true });
        try {
          if (scenario === 'start-failure') {
            const result = await spawned.done;
            const endedAt = performance.now();
            if (process.env.ES_CONSUMER_PRINT_OUTPUT === '1')
              console.log(`--- output of ${label} ---\n${result.output}--- end ---`);
            expect(result.code ?? result.signal, result.output).not.toBe(0);
            expect(result.output).toMatch(/ServerExitedError|ES_SERVER_EXITED/);
            expect(result.output).toContain('Server "broken" exited before it was ready (exit code 3)');
            expect(result.output).toContain('broken: fatal: contract crash before listening');
            const starts = serverStarts(dirs.reportDir);
            // `a` started (broken depends on it) and was stopped with the run.
            expect(starts.map((s) => s.name)).toContain('a');
            const left = await untilNothingOfOurs(dirs.tmp, starts, spawned.pid, endedAt, 2000);
            const everything = processesOf(dirs.tmp).map((p) => p.pid);
            rows.push(
              `${label}: ${describeExit(result)} after ${result.ms} ms; started ${starts.map((s) => s.name).join(', ')}; nothing of ours left ${left.ms} ms after the runner exited; processes of the invocation left: ${everything.length}`,
            );
            console.log(`[failure contract] ${rows.at(-1)}`);
            expect(left.ours).toEqual([]);
            expect(everything).toEqual([]);
            return;
          }

          // Inside the test: every server up (and Playwright's webServer), the test holding.
          for (;;) {
            if (readdirSync(dirs.reportDir).some((name) => name.startsWith('inside-'))) break;
            if (spawned.child.exitCode !== null || spawned.child.signalCode !== null)
              throw new Error(`${label}: the runner ended before its test ran:\n${(await spawned.done).output}`);
            await sleep(20);
          }
          const insideMs = Math.round(performance.now() - spawnedAt);
          const starts = serverStarts(dirs.reportDir);
          expect(starts.map((s) => s.name)).toEqual(expect.arrayContaining(['a', 'b', 'c']));
          const before = await leftovers(dirs.tmp, starts, spawned.pid);
          expect(runDirs(dirs.tmp).length, 'a run directory while the test runs').toBeGreaterThan(0);
          const workers = before.workers;

          const signalledAt = performance.now();
          spawned.child.kill(scenario);
          // `exit`, not `close`: a process the runner left (the CLI's command) may hold its stdout.
          const result = await spawned.exited;
          const exitedMs = Math.round(performance.now() - signalledAt);
          const bound = scenario === 'SIGKILL' ? 1000 : 5000;
          const left = await untilNothingOfOurs(dirs.tmp, starts, spawned.pid, signalledAt, bound);
          // Workers are waited for only where a bound is stated; elsewhere they are counted once, now.
          const workersLeft = await untilGone(workers, signalledAt, runner.workersGoneMs ?? 0);
          const stops = chainStops(dirs.reportDir);
          rows.push(
            `${label}: inside the test ${insideMs} ms after the spawn; ${describeExit(result)} ${exitedMs} ms after the signal` +
              (scenario === 'SIGKILL'
                ? ''
                : ` (plain ${runner.name}: ${describePlain(PLAIN_EXIT[runner.name][scenario]!)})`) +
              `; stops ${readLines(join(dirs.reportDir, 'stops.log')).join(', ')}; nothing of ours left (${starts.length} servers, supervisor, run dirs, ports) after ${left.ms} ms` +
              `; ${workers.length} runner process(es) (workers / the command) ${workersLeft.live.length === 0 ? `gone after ${workersLeft.ms} ms` : `${workersLeft.live.length} still alive after ${workersLeft.ms} ms`}`,
          );
          console.log(`[failure contract] ${rows.at(-1)}`);
          expect(left.ours, `${label}: left ${left.ms} ms after the signal`).toEqual([]);
          expect(stops, `${label}: stop order`).toEqual(['c', 'b', 'a']);
          // The worker-scoped `w` (the runners' tests start it, the CLI does not) went before b.
          const allStops = readLines(join(dirs.reportDir, 'stops.log'));
          if (runner.name !== 'cli')
            expect(
              allStops.includes('w') && allStops.indexOf('w') < allStops.indexOf('b'),
              `${label}: w stopped before b: ${allStops.join(', ')}`,
            ).toBe(true);
          if (runner.workersGoneMs !== undefined)
            expect(workersLeft.live, `${label}: workers alive ${workersLeft.ms} ms after the signal`).toEqual([]);
          if (scenario === 'SIGKILL') {
            expect(result.signal).toBe('SIGKILL');
          } else {
            const plain = PLAIN_EXIT[runner.name][scenario]!;
            expect({ code: result.code, signal: result.signal }, spawned.output).toEqual(
              'signal' in plain ? { code: null, signal: plain.signal } : { code: plain.code, signal: null },
            );
          }
        } finally {
          // Whatever the runner left holding a test ends it now; then its process group goes.
          writeFileSync(join(dirs.reportDir, 'release'), '');
          killGroup(spawned.pid);
        }
      }),
    120_000,
  );
});
