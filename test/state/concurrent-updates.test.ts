import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStateFile, readState } from '../../src/state/index.js';
import type { WriterConfig, WriterSummary } from '../fixtures/state-writer.js';
import { compileFixtures, type CompiledFixtures } from './compile-fixtures.js';
import { lastJsonLine, runFixture, useFixtureCleanup } from './run-fixture.js';
import { useTempDirs } from './temp-dir.js';

const makeTempDir = useTempDirs();
useFixtureCleanup();

let compiled: CompiledFixtures;
beforeAll(async () => {
  compiled = await compileFixtures(['state-writer.ts']);
});
afterAll(() => compiled?.remove());

const PROCESSES = 16;
const UPDATES_PER_PROCESS = 100;
const IN_FLIGHT_PER_PROCESS = 4;

it(`${PROCESSES} processes × ${UPDATES_PER_PROCESS} concurrent updates lose none`, async () => {
  const runDir = await makeTempDir();
  const stateFile = join(runDir, 'state.json');
  await createStateFile(stateFile, { runId: 'concurrency', owner: { pid: process.pid }, runDir });

  const writers = Array.from({ length: PROCESSES }, (_, index) => {
    const config: WriterConfig = {
      stateFile,
      id: `w${index}`,
      count: UPDATES_PER_PROCESS,
      concurrency: IN_FLIGHT_PER_PROCESS,
      staleMs: 10_000,
      journal: join(runDir, `journal-${index}`),
      waitForGo: true,
    };
    return runFixture('state-writer.ts', [JSON.stringify(config)], compiled);
  });
  // Start them together, once all have loaded, so that they really contend.
  await Promise.all(writers.map((writer) => writer.ready));
  const started = performance.now();
  for (const writer of writers) writer.child.stdin!.end('go\n');
  const results = await Promise.all(writers.map((writer) => writer.exited));
  const elapsedMs = performance.now() - started;

  for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
  const summaries = results.map((result) => lastJsonLine<WriterSummary>(result.stdout));
  const journaled = (await Promise.all(writers.map((_, index) => readFile(join(runDir, `journal-${index}`), 'utf8'))))
    .flatMap((text) => text.split('\n'))
    .filter(Boolean);
  const state = await readState(stateFile);
  const missing = journaled.filter((key) => !(key in state.servers));

  console.log(
    `[state] concurrency: ${PROCESSES} processes × ${UPDATES_PER_PROCESS} updates (${IN_FLIGHT_PER_PROCESS} in flight each): ` +
      `${summaries.reduce((sum, s) => sum + s.updates, 0)} updates resolved, ${journaled.length} journaled, ` +
      `${Object.keys(state.servers).length} entries in the file, ${missing.length} missing; ` +
      `${Math.round(elapsedMs)} ms, slowest single update ${Math.max(...summaries.map((s) => s.slowestMs))} ms`,
  );
  expect(journaled).toHaveLength(PROCESSES * UPDATES_PER_PROCESS);
  expect(missing).toEqual([]);
  expect(Object.keys(state.servers)).toHaveLength(PROCESSES * UPDATES_PER_PROCESS);
});
