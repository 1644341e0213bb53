import { setPriority } from 'node:os';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStateFile, readStateSync, updateState } from '../../src/state/index.js';
import type { WriterConfig, WriterSummary } from '../fixtures/state-writer.js';
import { compileFixtures, type CompiledFixtures } from './compile-fixtures.js';
import { lastJsonLine, runFixture, type FixtureProcess } from './run-fixture.js';
import { useTempDirs } from './temp-dir.js';

const makeTempDir = useTempDirs();

let compiled: CompiledFixtures;
beforeAll(async () => {
  compiled = await compileFixtures(['state-writer.ts', 'state-reader.ts']);
});
afterAll(() => compiled?.remove());

const STEADY_WRITERS = 3;
const READERS = 2;
const KILLS = 20;
/** The victim is killed a random 0..KILL_WINDOW_MS after it starts updating (its first takes ~100 ms). */
const KILL_WINDOW_MS = 500;
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
    concurrency: 2,
    staleMs: STALE_MS,
    journal: join(runDir, `journal-${id}`),
    stopFile,
    pauseMs,
  });
  const startWriter = (id: string, pauseMs: number): FixtureProcess =>
    runFixture('state-writer.ts', [JSON.stringify(writerConfig(id, pauseMs))], compiled);

  const readers = Array.from({ length: READERS }, () => runFixture('state-reader.ts', [stateFile, stopFile], compiled));
  // Readers spin: let writers and victims have the CPU first.
  for (const reader of readers) setPriority(reader.child.pid!, 10);
  const steady = Array.from({ length: STEADY_WRITERS }, (_, index) => startWriter(`steady${index}`, 10));
  await Promise.all([...readers, ...steady].map((child) => child.ready));

  const journals = steady.map((_, index) => `journal-steady${index}`);
  let tempFilesSeenAfterKill = 0;
  let killedHoldingWork = 0;
  // The next victim loads while the current one runs.
  let next = startWriter('victim0', 0);
  for (let kill = 0; kill < KILLS; kill += 1) {
    const victim = next;
    await victim.ready;
    if (kill + 1 < KILLS) next = startWriter(`victim${kill + 1}`, 0);
    journals.push(`journal-victim${kill}`);
    await setTimeout(Math.random() * KILL_WINDOW_MS);
    victim.child.kill('SIGKILL');
    const exit = await victim.exited;
    expect(exit.signal, exit.stderr).toBe('SIGKILL');
    const debris = (await readdir(runDir)).filter((name) => TEMP_FILE.test(name));
    tempFilesSeenAfterKill += debris.length;
    if (debris.length > 0) killedHoldingWork += 1;
  }

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
    `[state] kill safety: ${KILLS} SIGKILLs of a writer (${killedHoldingWork} mid-write, leaving ${tempFilesSeenAfterKill} temp file(s)); ` +
      `${journaled.length} updates resolved (${victimUpdates} by victims), ${Object.keys(state.servers).length} entries in the file, ` +
      `${missing.length} resolved updates missing; ${reads} reads by ${READERS} readers, ${failedReads} torn or failed; ` +
      `slowest steady update ${Math.max(...writerSummaries.map((s) => s.slowestMs))} ms (a wait for a dead victim's stale lock); ` +
      `leftovers at the end: ${leftovers.length}`,
  );
  expect(readerSummaries.flatMap((s) => s.firstFailures)).toEqual([]);
  expect(failedReads).toBe(0);
  expect(reads).toBeGreaterThan(0);
  expect(missing).toEqual([]);
  expect(leftovers).toEqual([]);
});
