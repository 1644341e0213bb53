import { rm } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { runFixtureVitest } from './run-vitest.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

it("the debug line of a worker-scoped start names the server's own pid (a command server's, or the worker's for an in-process one)", async () => {
  const run = await runFixtureVitest(['--pool', 'forks', '--maxWorkers', '2']);
  dirs.push(run.dir);
  expect(run.code, run.output).toBe(0);
  const lines = [
    ...run.output.matchAll(
      /(started|reused) (\w+)@(\d+) pid=(\d+) port=\d+ in [\d.]+ ms( \(in-process: this worker\))?/g,
    ),
  ].map((m) => ({
    name: m[2]!,
    pid: Number(m[4]),
    inProcess: m[5] !== undefined,
  }));
  const booted = (name: string) => run.boots.filter(([n]) => n === name).map(([, pid]) => pid);
  const workerPids = new Set(run.results.map((r) => r.pid));
  expect(lines.filter((line) => line.name === 'cmd').length).toBeGreaterThan(0);
  expect(lines.filter((line) => line.name === 'inproc').length).toBeGreaterThan(0);
  for (const line of lines) {
    if (line.name === 'inproc') {
      expect(line.inProcess).toBe(true);
      expect(workerPids.has(line.pid), `inproc pid ${line.pid} among the workers ${[...workerPids].join(', ')}`).toBe(
        true,
      );
    } else {
      expect(line.inProcess).toBe(false);
      expect(booted(line.name), `${line.name} pid ${line.pid}`).toContain(line.pid);
      expect(workerPids.has(line.pid)).toBe(false);
    }
  }
});
