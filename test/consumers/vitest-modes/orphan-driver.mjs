#!/usr/bin/env node
// Does a Vitest worker outlive its runner when the runner is SIGKILLed while the worker is inside a
// test? Measured with the package (global setup, fixtures, an in-process server in the worker) and
// with plain Vitest (only with ES_ORPHAN_PLAIN=1: each plain try lasts the whole 20 s test),
// ES_ORPHAN_TRIES times each (docs/runner-modes.md; upstream: vitest#9123).
// Exits 1 when, with the package, a worker lived on for more than 2 s.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isLive } from '../harness/processes.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const vitestCli = join(createRequire(import.meta.url).resolve('vitest/package.json'), '../vitest.mjs');
const tries = Number(process.env.ES_ORPHAN_TRIES ?? '3');
const dir = mkdtempSync(join(tmpdir(), 'orphan-'));
const LINGER_MS = 2_000;

async function attempt(mode, index) {
  const pidFile = join(dir, `worker-${mode}-${index}.pid`);
  const runner = spawn(process.execPath, [vitestCli, 'run', '-c', 'vitest.orphan.config.mjs'], {
    cwd: here,
    env: { ...process.env, ES_ORPHAN_MODE: mode, ES_ORPHAN_DIR: dir, ES_ORPHAN_TRY: `${mode}-${index}` },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 30_000;
  while (!existsSync(pidFile)) {
    if (Date.now() > deadline || runner.exitCode !== null)
      throw new Error(`${mode} try ${index}: the test never started`);
    await sleep(20);
  }
  const worker = Number(readFileSync(pidFile, 'utf8'));
  await sleep(200);
  const killedAt = performance.now();
  runner.kill('SIGKILL');
  while (isLive(worker) && performance.now() - killedAt < 25_000) await sleep(20);
  const livedMs = Math.round(performance.now() - killedAt);
  if (isLive(worker)) process.kill(worker, 'SIGKILL');
  return livedMs;
}

const results = {};
for (const mode of process.env.ES_ORPHAN_PLAIN === '1' ? ['package', 'plain'] : ['package']) {
  results[mode] = [];
  for (let index = 0; index < tries; index++) results[mode].push(await attempt(mode, index));
  const lingered = results[mode].filter((ms) => ms > LINGER_MS).length;
  console.log(
    `orphan: ${mode}: worker gone after runner SIGKILL in ${results[mode].join(', ')} ms; lingered > ${LINGER_MS} ms in ${lingered} of ${tries}`,
  );
}
rmSync(dir, { recursive: true, force: true });
process.exit(results.package.some((ms) => ms > LINGER_MS) ? 1 : 0);
