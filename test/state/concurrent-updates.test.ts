import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createOwnedRun, type OwnedRun } from '../../src/run/owned-run.js';
import { readState } from '../../src/state/index.js';
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

let owned: OwnedRun | undefined;
afterEach(async () => {
  await owned?.end();
  owned = undefined;
});

const PROCESSES = 16;
const UPDATES_PER_PROCESS = 100;
const IN_FLIGHT_PER_PROCESS = 4;
/** Per process, in the ordered lane: records pipelined on the same connection, this many in flight. */
const ORDERED_PER_PROCESS = 100;
const ORDERED_IN_FLIGHT = 4;

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

it(`${PROCESSES} processes × ${UPDATES_PER_PROCESS} concurrent updates through the supervisor lose none and keep each writer's order`, async () => {
  owned = await createOwnedRun({ exportEnv: false });
  const { stateFile } = owned.run;
  const journalDir = await makeTempDir();

  const writers = Array.from({ length: PROCESSES }, (_, index) => {
    const config: WriterConfig = {
      stateFile,
      id: `w${index}`,
      count: UPDATES_PER_PROCESS,
      concurrency: IN_FLIGHT_PER_PROCESS,
      ordered: { count: ORDERED_PER_PROCESS, inFlight: ORDERED_IN_FLIGHT },
      journal: join(journalDir, `journal-${index}`),
      waitForGo: true,
    };
    return runFixture('state-writer.ts', [JSON.stringify(config)], compiled);
  });
  // Start them together, once all have loaded and connected, so that they really contend.
  await Promise.all(writers.map((writer) => writer.ready));
  const started = performance.now();
  for (const writer of writers) writer.child.stdin!.end('go\n');
  const results = await Promise.all(writers.map((writer) => writer.exited));
  const elapsedMs = performance.now() - started;

  for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
  const summaries = results.map((result) => lastJsonLine<WriterSummary>(result.stdout));
  const journals = await Promise.all(writers.map((_, index) => readFile(join(journalDir, `journal-${index}`), 'utf8')));
  const journaled = journals.flatMap((text) => text.split('\n')).filter(Boolean);
  const text = await readFile(stateFile, 'utf8');
  const state = await readState(stateFile);
  const missing = journaled.filter((key) => !(key in state.servers));

  // The supervisor adds a new key at the end of its `servers` object (JavaScript objects keep insertion
  // order) and writes that object as JSON: the order of a writer's keys in the file is the order in
  // which the supervisor applied its records.
  const fileOrder = Object.keys((JSON.parse(text) as { servers: Record<string, unknown> }).servers);
  const outOfOrder = writers.flatMap((_, index) => {
    const prefix = `w${index}-seq-`;
    const applied = fileOrder
      .filter((key) => key.startsWith(prefix))
      .map((key) => Number(key.slice(prefix.length, -'@1'.length)));
    return applied.every((n, position) => n === position) ? [] : [`w${index}: ${applied.join(',')}`];
  });

  const updates = summaries.reduce((sum, s) => sum + s.updates, 0);
  const latencies = summaries.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  console.log(
    `[state] concurrency: ${PROCESSES} processes × (${UPDATES_PER_PROCESS} updates, ${IN_FLIGHT_PER_PROCESS} in flight + ` +
      `${ORDERED_PER_PROCESS} ordered, ${ORDERED_IN_FLIGHT} in flight): ${updates} updates resolved, ${journaled.length} journaled, ` +
      `${Object.keys(state.servers).length} entries in the file, ${missing.length} missing, ${outOfOrder.length} writers out of order; ` +
      `${Math.round(elapsedMs)} ms, ${Math.round(updates / (elapsedMs / 1000))} updates/s, ` +
      `latency p50 ${percentile(latencies, 0.5)} ms, p95 ${percentile(latencies, 0.95)} ms, max ${latencies.at(-1)} ms`,
  );
  const total = PROCESSES * (UPDATES_PER_PROCESS + ORDERED_PER_PROCESS);
  expect(updates).toBe(total);
  expect(journaled).toHaveLength(total);
  expect(missing).toEqual([]);
  expect(Object.keys(state.servers)).toHaveLength(total);
  expect(outOfOrder).toEqual([]);
  // The file is what the supervisor holds.
  expect(await owned.client.request('state', {})).toEqual(state);
});
