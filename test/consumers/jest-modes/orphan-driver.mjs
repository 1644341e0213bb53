#!/usr/bin/env node
// Does a Jest worker outlive its runner when only the runner dies while the worker is inside a test?
// Two workers, each inside a 20 s test; the runner gets SIGKILL, or a SIGINT of its own (`kill -INT
// <pid>`, not a terminal's Ctrl+C, which reaches the workers too). With the package (global setup,
// test environment, an in-process server in each worker) ES_ORPHAN_TRIES times per signal; plain Jest
// only with ES_ORPHAN_PLAIN=1 (each plain try lasts the whole 20 s test). docs/runner-modes.md.
// Exits 1 when, with the package, a worker lived on for more than 2 s, or a run directory was left
// (each try's TMPDIR is checked 2 s after the runner's end). A step of .ci/run, not a harness run: it
// costs about 10 s, more than npm test's budget had left.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isLive } from '../harness/processes.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const jestBin = join(here, 'node_modules/jest/bin/jest.js');
const tries = Number(process.env.ES_ORPHAN_TRIES ?? '1');
const dir = mkdtempSync(join(tmpdir(), 'jest-orphan-'));
const LINGER_MS = 2_000;

/** One try: returns how long each worker lived after the signal, in ms. */
async function attempt(mode, signal, index) {
  const name = `${mode}-${signal}-${index}`;
  const runTmp = join(dir, `tmp-${name}`);
  mkdirSync(runTmp);
  const runner = spawn(process.execPath, [jestBin, '-c', 'jest.orphan.config.cjs'], {
    cwd: here,
    env: { ...process.env, TMPDIR: runTmp, ES_ORPHAN_MODE: mode, ES_ORPHAN_DIR: dir, ES_ORPHAN_TRY: name },
    stdio: 'ignore',
  });
  const pidFiles = () => readdirSync(dir).filter((file) => file.startsWith(`${name}-`));
  const deadline = Date.now() + 30_000;
  while (pidFiles().length < 2) {
    if (Date.now() > deadline || runner.exitCode !== null) throw new Error(`${name}: the two tests never started`);
    await sleep(20);
  }
  const workers = pidFiles().map((file) => Number(readFileSync(join(dir, file), 'utf8')));
  await sleep(200);
  const signalledAt = performance.now();
  runner.kill(signal);
  const lived = [];
  await Promise.all(
    workers.map(async (pid) => {
      while (isLive(pid) && performance.now() - signalledAt < 25_000) await sleep(20);
      lived.push(Math.round(performance.now() - signalledAt));
      if (isLive(pid)) process.kill(pid, 'SIGKILL');
    }),
  );
  while (runner.exitCode === null && runner.signalCode === null) await sleep(20);
  const runDirs = () => readdirSync(runTmp).filter((file) => file.startsWith('ephemeral-servers-run-'));
  for (const deadline = Date.now() + 2000; runDirs().length > 0 && Date.now() < deadline;) await sleep(20);
  if (runDirs().length > 0) throw new Error(`${name}: run directories left: ${runDirs().join(', ')}`);
  return lived;
}

let failed = false;
for (const mode of process.env.ES_ORPHAN_PLAIN === '1' ? ['package', 'plain'] : ['package']) {
  for (const signal of ['SIGKILL', 'SIGINT']) {
    const lived = [];
    for (let index = 0; index < tries; index++) lived.push(...(await attempt(mode, signal, index)));
    const lingered = lived.filter((ms) => ms > LINGER_MS).length;
    console.log(
      `jest orphan: ${mode}: runner ${signal}: workers gone after ${lived.join(', ')} ms; lingered > ${LINGER_MS} ms: ${lingered} of ${lived.length}`,
    );
    if (mode === 'package' && lingered > 0) failed = true;
  }
}
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
