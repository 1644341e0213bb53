#!/usr/bin/env node
// npm run bench: every section in turn, then a table printed and written to bench/results/latest.{md,json}.
// Run from the repository root after `npm run build`, under `node --import tsx` (the state-file and ports
// sections import internal modules from src/: see README.md). Also fills docs/benchmarks.md's results block. BENCH_QUICK=1 runs fewer rounds (a smoke run).
import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { OUR_VERSION } from './lib/ours.mjs';
import { PEER_VERSIONS } from './lib/peers.mjs';
import { pythonExecutable } from './lib/servers.mjs';
import { round } from './lib/stats.mjs';
import { writeResults } from './lib/write-results.mjs';
import { benchInProcess } from './sections/in-process.mjs';
import { benchOrphans } from './sections/orphans.mjs';
import { benchPorts } from './sections/ports.mjs';
import { benchReady } from './sections/ready.mjs';
import { benchScale } from './sections/scale.mjs';
import { benchStateFile } from './sections/state-file.mjs';
import { benchStop } from './sections/stop.mjs';

const quick = process.env.BENCH_QUICK === '1';
const log = (line) => process.stderr.write(`${line}\n`);
const startedAt = performance.now();
const timings = {};
async function section(name, fn) {
  const t0 = performance.now();
  log(`[bench] ${name}…`);
  const result = await fn();
  timings[name] = round((performance.now() - t0) / 1000, 1);
  return result;
}

const machine = {
  nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: round(totalmem() / 2 ** 30, 1),
  freeMemoryGiB: round(freemem() / 2 ** 30, 1),
  loadAverageAtStart: loadavg().map((l) => round(l, 2)),
  os: `${process.platform} ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`,
};
const versions = {
  'ephemeral-servers': OUR_VERSION,
  node: process.version,
  python: execFileSync(pythonExecutable(), ['--version'], { encoding: 'utf8' }).trim(),
  ...PEER_VERSIONS,
};

const results = {
  date: new Date().toISOString(),
  quick,
  machine,
  versions,
  ready: await section('ready', () =>
    benchReady({ rounds: quick ? 2 : 8, heavyRounds: quick ? 1 : 2, playwrightRounds: quick ? 1 : 3, log }),
  ),
  stop: await section('stop', () => benchStop({ rounds: quick ? 1 : 5, heavyRounds: 1, log })),
  inProcess: await section('in-process', () => benchInProcess({ iterations: quick ? 30 : 200, log })),
  scale: await section('scale', () => benchScale({ rounds: quick ? 1 : 2, log })),
  stateFile: await section('state-file', () =>
    benchStateFile({ writers: 16, updates: quick ? 20 : 100, single: quick ? 100 : 400, log }),
  ),
  ports: await section('ports', () => benchPorts({ processes: 16, count: quick ? 4 : 8, log })),
  orphans: await section('orphans', () => benchOrphans({ log })),
};
machine.loadAverageAtEnd = loadavg().map((l) => round(l, 2));
results.sectionSeconds = timings;
results.totalSeconds = round((performance.now() - startedAt) / 1000, 1);

const markdown = writeResults(results);
process.stdout.write(`${markdown}\n`);
log(`[bench] done in ${results.totalSeconds} s; written to bench/results/latest.md and latest.json`);
