/**
 * Many processes allocating at once: 16 tinypool child processes (loaded with tsx) allocate ports and
 * bind them with real servers, which stay open until the end, so a port handed out twice shows up as a
 * duplicate or as a failed bind (EADDRINUSE).
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tinypool } from 'tinypool';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive, readProcessStartTime } from '../../src/process/process-identity.js';
import type { AllocateResult, AllocateTask, ContendTask } from '../fixtures/port-race-worker.js';
import { killFixtures, startFixture } from './fixture-process.js';
import { findFreePortRun } from './free-port-run.js';

const WORKERS = 16;

let pool: Tinypool;
let dir: string;
let barriers = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-ports-race-'));
  pool = new Tinypool({
    runtime: 'child_process',
    filename: new URL('../fixtures/port-race-worker.ts', import.meta.url).href,
    minThreads: WORKERS,
    maxThreads: WORKERS,
    // fork() runs the pool's entry script with these flags: tsx's loader lets it import the .ts fixture.
    execArgv: ['--import', 'tsx'],
    env: { ...process.env } as Record<string, string>,
  });
});

afterAll(async () => {
  await pool?.destroy(); // ends the workers, and with them every server and reservation they hold
  await killFixtures();
  await rm(dir, { recursive: true, force: true });
});

function barrier(parties = WORKERS): { barrier: string; parties: number } {
  return { barrier: join(dir, `barrier-${++barriers}`), parties };
}

/** Runs `task` in `processes` worker processes at once (each waiting task holds its worker). */
async function runAllocations(
  task: Omit<AllocateTask, 'barrier' | 'parties'>,
  processes = WORKERS,
): Promise<AllocateResult[]> {
  const shared = barrier(processes);
  return Promise.all(
    Array.from(
      { length: processes },
      () =>
        pool.run({ ...task, ...shared } satisfies AllocateTask, { name: 'allocateAndBind' }) as Promise<AllocateResult>,
    ),
  );
}

/** `median … ms, p95 … ms` of the allocations' latencies. */
function formatLatencies(results: readonly AllocateResult[]): string {
  const sorted = results.flatMap((result) => result.latenciesMs).sort((a, b) => a - b);
  const at = (quantile: number): string =>
    (sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * quantile) - 1)] ?? NaN).toFixed(1);
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms per allocation`;
}

function summarize(results: readonly AllocateResult[]) {
  const ports = results.flatMap((result) => result.ports);
  const counts = new Map<number, number>();
  for (const { port } of ports) counts.set(port, (counts.get(port) ?? 0) + 1);
  return {
    processes: new Set(results.map((result) => result.pid)).size,
    allocations: ports.length + results.reduce((sum, result) => sum + result.bindFailures.length, 0),
    duplicates: [...counts].filter(([, count]) => count > 1).map(([port]) => port),
    bindFailures: results.flatMap((result) => result.bindFailures),
    fromRange: ports.filter((entry) => entry.fromRange),
    fallback: ports.filter((entry) => !entry.fromRange),
  };
}

describe('allocatePort across processes', () => {
  it('never hands out the same port twice: 16 processes x 125 allocations, each bound and held', async () => {
    const reservationDir = join(dir, 'race');
    const results = await runAllocations({ dir: reservationDir, count: 125, maxDelayMs: 5 });
    const summary = summarize(results);
    console.log(
      `race: ${summary.allocations} allocations by ${summary.processes} processes, ` +
        `${summary.duplicates.length} duplicate ports, ${summary.bindFailures.length} bind failures; ${formatLatencies(results)}`,
    );
    expect(summary.processes).toBe(WORKERS);
    expect(summary.allocations).toBe(2000);
    expect(summary.duplicates).toEqual([]);
    expect(summary.bindFailures).toEqual([]);
    expect(await readdir(reservationDir)).toEqual([]); // every reservation released
  });

  it('shares a narrow range of 50 ports: all used once, then falls back to other ports', async () => {
    const range = await findFreePortRun(50);
    const results = await runAllocations({ dir: join(dir, 'narrow'), count: 8, maxDelayMs: 5, range });
    const summary = summarize(results);
    const rangePorts = new Set(summary.fromRange.map((entry) => entry.port));
    console.log(
      `narrow range ${range[0]}-${range[1]}: ${summary.allocations} allocations by ${summary.processes} processes, ` +
        `${rangePorts.size} range ports used, ${summary.fallback.length} fallbacks, ` +
        `${summary.duplicates.length} duplicate ports, ${summary.bindFailures.length} bind failures; ${formatLatencies(results)}`,
    );
    expect(summary.processes).toBe(WORKERS);
    expect(summary.duplicates).toEqual([]);
    expect(summary.bindFailures).toEqual([]);
    expect(rangePorts.size).toBe(50);
    expect([...rangePorts].every((port) => port >= range[0] && port <= range[1])).toBe(true);
    expect(summary.fallback.length).toBeGreaterThan(0);
    expect(summary.fallback.every(({ port }) => port < range[0] || port > range[1])).toBe(true);
  });

  it('shares a contended range of 100 ports among 8 processes x 8 ports: range ports only, each bound and held', async () => {
    const range = await findFreePortRun(100);
    const results = await runAllocations({ dir: join(dir, 'contended'), count: 8, maxDelayMs: 5, range }, 8);
    const summary = summarize(results);
    const rangePorts = new Set(summary.fromRange.map((entry) => entry.port));
    console.log(
      `contended range ${range[0]}-${range[1]}: ${summary.allocations} allocations by ${summary.processes} processes, ` +
        `${rangePorts.size} range ports used, ${summary.fallback.length} fallbacks, ` +
        `${summary.duplicates.length} duplicate ports, ${summary.bindFailures.length} bind failures; ${formatLatencies(results)}`,
    );
    expect(summary.processes).toBe(8);
    expect(summary.allocations).toBe(64);
    expect(summary.duplicates).toEqual([]);
    expect(summary.bindFailures).toEqual([]);
    // 64 of 100: the range never runs out, so no allocation may leave it.
    expect(summary.fallback).toEqual([]);
    expect(rangePorts.size).toBe(64);
    expect([...rangePorts].every((port) => port >= range[0] && port <= range[1])).toBe(true);
  });

  it('lets at most one of 16 processes take over a stale reservation', async () => {
    const reservationDir = join(dir, 'stale');
    // A claim of a real process that has died, for each of 20 ports.
    const holder = startFixture('port-reservation-holder.ts', [join(dir, 'unused'), '1']);
    await holder.firstLine;
    const startTime = readProcessStartTime(holder.pid);
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(isProcessAlive(holder.pid, startTime)).toBe(false);
    const ports = Array.from({ length: 20 }, (_, i) => 41_001 + i);
    const staleName = `${holder.pid}-${startTime}-5ca1e`;
    for (const port of ports) {
      await mkdir(join(reservationDir, String(port)), { recursive: true, mode: 0o700 });
      await writeFile(join(reservationDir, String(port), staleName), '');
    }

    const shared = barrier();
    const won = await Promise.all(
      Array.from(
        { length: WORKERS },
        () =>
          pool.run({ dir: reservationDir, ports, ...shared } satisfies ContendTask, {
            name: 'contendStale',
          }) as Promise<number[]>,
      ),
    );
    const winners = ports.map((port) => won.filter((list) => list.includes(port)).length);
    console.log(
      `stale takeover: winners per port ${winners.join(',')} (${winners.filter((n) => n === 1).length} of 20 ports taken over)`,
    );
    expect(winners.every((n) => n <= 1)).toBe(true);
    expect(winners.some((n) => n === 1)).toBe(true);
    // Every stale claim is gone; the directory of a port nobody won went with it (both claimants of a
    // simultaneous claim may back off: allocatePort then moves on to another port).
    const portDirs = await readdir(reservationDir);
    const left = await Promise.all(portDirs.map((port) => readdir(join(reservationDir, port))));
    expect(left.flat()).not.toContain(staleName);
  });
});
