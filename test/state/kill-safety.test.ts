import { setPriority } from 'node:os';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStateFile, readStateSync, updateState } from '../../src/state/index.js';
import type { WriterConfig, WriterSummary } from '../fixtures/state-writer.js';
import { compileFixtures, type CompiledFixtures } from './compile-fixtures.js';
import { lastJsonLine, runFixture, useFixtureCleanup, type FixtureProcess } from './run-fixture.js';
import { useTempDirs } from './temp-dir.js';

const makeTempDir = useTempDirs();
useFixtureCleanup();

let compiled: CompiledFixtures;
beforeAll(async () => {
  compiled = await compileFixtures(['state-writer.ts', 'state-reader.ts']);
});
afterAll(() => compiled?.remove());

const STEADY_WRITERS = 2;
const READERS = 2;
const KILLS = 20;
/**
 * Every other victim is killed a random 0..KILL_WINDOW_MS after it starts (loading, waiting for the
 * lock, first write); the others once their first update resolved, a random 0..KILL_WINDOW_MS / 10 later
 * (mid-way through later updates, with resolved updates on record that must survive).
 */
const KILL_WINDOW_MS = 300;
/**
 * Stale time of the lock in this test: 2000 ms, the minimum proper-lockfile accepts. The holder
 * refreshes the lock every 1000 ms (`max(staleMs / 2, 1000)`), so a live holder only looks stale if its
 * event loop stalls for over a second, while the longest legitimate hold here (read, validate, write
 * and fsync of a state of a few thousand entries) takes tens of milliseconds even on a loaded machine.
 */
const STALE_MS = 2000;

const TEMP_FILE = /^state\.json\.\d+$/;

it(`no torn read and no lost update while a writer is SIGKILLed ${KILLS} times`, async () => {
  const runDir = await makeTempDir();
  const stateFile = join(runDir, 'state.json');
  const stopFile = join(runDir, 'stop');
  await createStateFile(stateFile, { runId: 'kill-safety', owner: { pid: process.pid }, runDir });

  const writerConfig = (id: string, pauseMs: number): WriterConfig => ({
    stateFile,
    id,
    count: 0,
    concurrency: pauseMs === 0 ? 2 : 1,
    staleMs: STALE_MS,
    journal: join(runDir, `journal-${id}`),
    stopFile,
    pauseMs,
  });
  const startWriter = (id: string, pauseMs: number): FixtureProcess =>
    runFixture('state-writer.ts', [JSON.stringify(writerConfig(id, pauseMs))], compiled);

  const readers = Array.from({ length: READERS }, () => runFixture('state-reader.ts', [stateFile, stopFile], compiled));
  // Readers spin: let writers and victims have the CPU first.
  for (const reader of readers) setPriority(reader.child.pid!, 19);
  // Steady writers keep the lock busy (one update in flight, then a pause) and take over what victims leave.
  const steady = Array.from({ length: STEADY_WRITERS }, (_, index) => startWriter(`steady${index}`, 20));
  await Promise.all([...readers, ...steady].map((child) => child.ready));

  const journals = steady.map((_, index) => `journal-steady${index}`);
  let killsWithTempFile = 0;
  // The next victim loads while the current one runs.
  let next = startWriter('victim0', 0);
  const loopStarted = performance.now();
  for (let kill = 0; kill < KILLS; kill += 1) {
    const victim = next;
    await victim.ready;
    if (kill + 1 < KILLS) next = startWriter(`victim${kill + 1}`, 0);
    const journal = join(runDir, `journal-victim${kill}`);
    journals.push(`journal-victim${kill}`);
    if (kill % 2 === 1) {
      let gone = false;
      void victim.exited.then(() => (gone = true));
      const journalSize = async (): Promise<number> => (await stat(journal).catch(() => undefined))?.size ?? 0;
      while (!gone && (await journalSize()) === 0) await setTimeout(5);
      await setTimeout(Math.random() * (KILL_WINDOW_MS / 10));
    } else {
      await setTimeout(Math.random() * KILL_WINDOW_MS);
    }
    victim.child.kill('SIGKILL');
    const exit = await victim.exited;
    expect(exit.signal, exit.stderr).toBe('SIGKILL');
    const debris = (await readdir(runDir)).filter((name) => TEMP_FILE.test(name));
    if (debris.length > 0) killsWithTempFile += 1;
  }

  const killLoopMs = performance.now() - loopStarted;
  await writeFile(stopFile, '');
  const steadyResults = await Promise.all(steady.map((writer) => writer.exited));
  const readerResults = await Promise.all(readers.map((reader) => reader.exited));
  for (const result of [...steadyResults, ...readerResults]) expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
  // Whatever the last victim left is taken over and swept by the next update.
  await updateState(stateFile, () => {}, { staleMs: STALE_MS });

  const writerSummaries = steadyResults.map((result) => lastJsonLine<WriterSummary>(result.stdout));
  const readerSummaries = readerResults.map((result) => lastJsonLine<{ reads: number; failures: number; firstFailures: string[] }>(result.stdout));
  const journaled = (await Promise.all(journals.map((name) => readFile(join(runDir, name), 'utf8').catch(() => ''))))
    .flatMap((text) => text.split('\n'))
    .filter(Boolean);
  const victimUpdates = journaled.filter((key) => key.startsWith('victim')).length;
  const state = readStateSync(stateFile);
  const missing = journaled.filter((key) => !(key in state.servers));
  const leftovers = (await readdir(runDir)).filter((name) => TEMP_FILE.test(name) || name.includes('.lock'));
  const reads = readerSummaries.reduce((sum, s) => sum + s.reads, 0);
  const failedReads = readerSummaries.reduce((sum, s) => sum + s.failures, 0);

  console.log(
    `[state] kill safety: ${KILLS} SIGKILLs of a writer (right after ${killsWithTempFile} of them a temp file was present: ` +
      `the victim's, killed mid-write, or a live writer's); ` +
      `${journaled.length} updates resolved (${victimUpdates} by victims), ${Object.keys(state.servers).length} entries in the file, ` +
      `${missing.length} resolved updates missing; ${reads} reads by ${READERS} readers, ${failedReads} torn or failed; ` +
      `slowest steady update ${Math.max(...writerSummaries.map((s) => s.slowestMs))} ms (waits for dead victims' stale locks, 2 s each); ` +
      `leftovers at the end: ${leftovers.length}; kill loop ${Math.round(killLoopMs)} ms`,
  );
  expect(readerSummaries.flatMap((s) => s.firstFailures)).toEqual([]);
  expect(failedReads).toBe(0);
  expect(reads).toBeGreaterThan(0);
  expect(missing).toEqual([]);
  expect(leftovers).toEqual([]);
});
