import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntilGone } from '../../helpers/processes.js';
import { isListening, leftoverRunDirs, runFixtureVitest, type VitestRun } from './run-vitest.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const count = (run: VitestRun, name: string) => run.boots.filter(([n]) => n === name).length;
const distinct = <T>(values: T[]) => new Set(values).size;

/**
 * Pairwise cover of pool × isolate × maxWorkers in 4 real Vitest runs (6 spec files each; every file
 * uses a run-scoped command server, two worker-scoped command servers, one depending on the other and
 * on the run-scoped one, and a worker-scoped in-process server). The four runs go concurrently: they
 * share nothing but the port reservation directory, which is cross-process by design.
 */
const matrix = [
  { pool: 'forks', isolate: true, maxWorkers: 4 },
  { pool: 'threads', isolate: true, maxWorkers: 1 },
  { pool: 'forks', isolate: false, maxWorkers: 1 },
  { pool: 'threads', isolate: false, maxWorkers: 4 },
] as const;

describe.concurrent.each(matrix)(
  'vitest run --pool $pool, isolate $isolate, maxWorkers $maxWorkers',
  ({ pool, isolate, maxWorkers }) => {
    it('gives each slot its own servers, reuses them across files, and leaves nothing behind', async () => {
      const run = await runFixtureVitest([
        '--pool',
        pool,
        isolate ? '--isolate' : '--no-isolate',
        '--maxWorkers',
        String(maxWorkers),
      ]);
      dirs.push(run.dir);
      expect(run.code, run.output).toBe(0);
      expect(run.results.map((r) => r.file).sort()).toEqual(['f1', 'f2', 'f3', 'f4', 'f5', 'f6']);

      const slots = [...new Set(run.results.map((r) => r.slot))].sort();
      expect(slots.length).toBeGreaterThanOrEqual(1);
      expect(Math.max(...slots)).toBeLessThanOrEqual(maxWorkers);
      if (maxWorkers === 1) expect(slots).toEqual([1]);
      // Per slot: one instance of each worker-scoped command server, reused by every file of the slot.
      for (const slot of slots) {
        const inSlot = run.results.filter((r) => r.slot === slot);
        expect(distinct(inSlot.map((r) => r.ports.cmd))).toBe(1);
        expect(distinct(inSlot.map((r) => r.ports.dep))).toBe(1);
      }
      // Two slots never share an instance; every file sees the same run-scoped one.
      expect(distinct(run.results.map((r) => r.ports.cmd))).toBe(slots.length);
      expect(distinct(run.results.map((r) => r.ports.dep))).toBe(slots.length);
      expect(distinct(run.results.map((r) => r.ports.shared))).toBe(1);

      // Starts: the run-scoped server once, each worker-scoped command server once per slot.
      expect(count(run, 'shared')).toBe(1);
      expect(count(run, 'cmd')).toBe(slots.length);
      expect(count(run, 'dep')).toBe(slots.length);
      // In-process servers cannot outlive their worker: with isolate, one per file.
      if (isolate) expect(count(run, 'inproc')).toBe(6);
      else expect(count(run, 'inproc')).toBeLessThanOrEqual(6);
      const requested = run.results.length * 2;
      console.log(
        `[vitest ${pool} isolate=${isolate} maxWorkers=${maxWorkers}] slots ${slots.join(',')}; worker-scoped command starts ${count(run, 'cmd') + count(run, 'dep')} for ${requested} requests (${requested - count(run, 'cmd') - count(run, 'dep')} saved by slot reuse); in-process starts ${count(run, 'inproc')}`,
      );

      // Nothing left: processes, ports, run directory.
      expect(
        await waitUntilGone(run.boots.map(([, pid]) => pid).filter((pid) => !run.results.some((r) => r.pid === pid))),
      ).toEqual([]);
      const ports = run.results.flatMap((r) => Object.values(r.ports));
      expect((await Promise.all(ports.map(isListening))).filter(Boolean)).toEqual([]);
      expect(leftoverRunDirs(run.dir)).toEqual([]);
      expect(run.results.every((r) => dirname(r.stateFile).startsWith(run.dir))).toBe(true);
    });
  },
);
