import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLive } from '../helpers/processes.js';
import { commandEntry, deadProcess, spawnSleeper, writeRun } from './fixtures/stale-run.js';
import { fixture, readJsonIfThere, readLines, report, Sandbox, timeUntilGone, waitFor } from './helpers.js';
import { reusedStartTime } from '../process/backend.js';

// Real Vitest runs of test/teardown/fixtures/vitest-project: the Vitest main process is the run owner
// (its own minimal globalSetup calls startRun from dist/); each test file hands a worker-scoped server
// over to the run. Needs a build (`npm run build`).
const project = fixture('vitest-project');
const vitestBin = join(process.cwd(), 'node_modules', 'vitest', 'vitest.mjs');

interface Ready {
  stateFile: string;
  runDir: string;
  supervisorPid: number;
  pids: number[];
}

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await Sandbox.create();
});
afterEach(async () => {
  await sandbox.cleanup();
});

/**
 * Starts `vitest run` on the fixture project; `id` keeps the files of parallel runs apart. `filter`
 * selects its test files (one by default: a single run needs only one worker).
 */
function startVitest(id: string, holdMs: number, filter: readonly string[] = ['file-1']) {
  const files = {
    ready: join(sandbox.dir, `${id}-ready.json`),
    order: join(sandbox.dir, `${id}-order.txt`),
    pids: join(sandbox.dir, `${id}-pids.txt`),
  };
  const run = sandbox.spawnNode(
    [vitestBin, 'run', '--root', project, '--config', join(project, 'vitest.config.mjs'), ...filter],
    sandbox.env({
      READY_FILE: files.ready,
      ORDER_FILE: files.order,
      PIDS_FILE: files.pids,
      HOLD_MS: String(holdMs),
      CI: 'true',
    }),
    project,
  );
  /** Waits until the run's servers are up and a test file holds a worker-scoped server; returns every pid. */
  const holding = async (): Promise<{ ready: Ready; pids: number[] }> => {
    const ready = await waitFor(
      `vitest run ${id} to start its servers`,
      () => readJsonIfThere<Ready>(files.ready) ?? (run.child.exitCode !== null && fail(run.output())),
      60_000,
    );
    const workerPids = await waitFor(
      `a test file of run ${id} to start its worker-scoped server`,
      () => {
        const pids = readLines(files.pids).map((line) => Number(/pid=(\d+)/.exec(line)![1]));
        return pids.length > 0 ? pids : run.child.exitCode !== null && fail(run.output());
      },
      60_000,
    );
    sandbox.track(...ready.pids, ...workerPids, ready.supervisorPid);
    return { ready, pids: [...ready.pids, ...workerPids] };
  };
  return { ...run, files, holding };
}

function fail(output: string): never {
  throw new Error(`vitest exited early:\n${output}`);
}

// Vitest SIGKILLed, SIGINT and SIGTERM mid-run, one run at a time: test/consumers/failure-contract.test.ts.
describe('the same scenarios through a real Vitest run (owner = the Vitest main process)', () => {
  it("4 Vitest runs at once, one SIGKILLed, a stale run around: no run touches another's servers, none leaves anything, the stale run is swept", async () => {
    // A stale run (owner dead, no supervisor) in the same TMPDIR: an orphan server, and a pid reused since.
    const orphan = await spawnSleeper();
    const unrelated = await spawnSleeper();
    sandbox.track(orphan.pid, unrelated.pid);
    const stale = await writeRun(sandbox.dir, await deadProcess(), {
      'api@0': commandEntry('api', orphan),
      'db@0': commandEntry('db', { pid: unrelated.pid, startTime: reusedStartTime() }),
    });
    // Same TMPDIR: every run's start-up sweep sees the others' run directories (and they race for the stale one).
    const files = ['file-1', 'file-2'];
    const runs = [startVitest('r0', 60_000, files), ...[1, 2, 3].map((i) => startVitest(`r${i}`, 1000, files))];
    const held = await Promise.all(runs.map((run) => run.holding()));
    expect(existsSync(stale)).toBe(false);
    expect(isLive(orphan.pid)).toBe(false);
    expect(isLive(unrelated.pid)).toBe(true);
    const killedAt = performance.now();
    runs[0]!.child.kill('SIGKILL');
    const killed = await timeUntilGone(held[0]!.pids, killedAt);
    expect(killed.live).toEqual([]);
    // The others' tests keep checking that all their servers answer: they pass only if none was touched.
    for (const run of runs.slice(1)) {
      const result = await run.exited;
      expect(result, run.output()).toEqual({ code: 0, signal: null });
    }
    const all = held.flatMap((h) => h.pids);
    expect(all.filter(isLive)).toEqual([]);
    await waitFor('every run directory to be removed', () => sandbox.runDirs().length === 0, 5000);
    report(
      `4 parallel Vitest runs: ${all.length} server processes, the SIGKILLed run's gone ${killed.ms.toFixed(0)} ms after the kill, nothing left`,
    );
  });
});
