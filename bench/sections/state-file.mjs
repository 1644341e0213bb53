// 4b. State file: what one state update costs through the run's supervisor, alone and from 16 processes at
// once, against its bare floor measured in the same run (one round trip on a bare Unix socket + an atomic
// rename of a file of the state file's size, in a process of its own: bench/lib/socket-floor-server.mjs).
// Every update is one `record` request (state-writer.mjs). A reader checks that no read sees a torn
// file and that no acknowledged update is undone; lost updates: the final file must hold every writer's
// last value, and each writer reads its own last value back once it was acknowledged.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readState, startEmptyRun } from '../lib/ours.mjs';
import { epochMs, summarize } from '../lib/stats.mjs';

const WRITER = fileURLToPath(new URL('./state-writer.mjs', import.meta.url));
const READER = fileURLToPath(new URL('./state-reader.mjs', import.meta.url));
const FLOOR = fileURLToPath(new URL('../lib/socket-floor-server.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Updates per variant in a row, alternating ours and floor, for the uncontended figure. */
const BLOCK = 20;

/** A child whose stdout is read line by line: { child, next(), exited }. */
function spawnLines(args, options = {}) {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], ...options });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${args.at(-1).slice(0, 120)}: exited (${await exited}) before answering`);
    return value;
  };
  return { child, next, exited };
}

async function startFloor(dir) {
  const floor = spawnLines([FLOOR, join(dir, 'f.sock'), join(dir, 'state.json')]);
  if ((await floor.next()) !== 'listening') throw new Error('the state floor server did not start');
  return {
    socketPath: join(dir, 'f.sock'),
    async setSize(bytes) {
      floor.child.stdin.write(`${bytes}\n`);
      await floor.next();
    },
    async stop() {
      floor.child.stdin.end();
      await floor.exited;
    },
  };
}

function startWriter(stateFile, floorSocket, index, updates, warmup) {
  const config = { stateFile, floorSocket, key: `w${index}@${index}`, slot: index, updates, warmup };
  const writer = spawnLines(['--import', 'tsx', WRITER, JSON.stringify(config)]);
  return { ...writer, key: config.key, booted: writer.next() };
}

/** Sends `variant` to every writer at once; resolves with their reports and the wall time from the send to the last update. */
async function phase(writers, variant) {
  const goAt = epochMs();
  for (const w of writers) w.child.stdin.write(`${variant}\n`);
  const reports = await Promise.all(writers.map(async (w) => JSON.parse(await w.next())));
  const wallMs = Math.max(...reports.map((r) => r.endedAt)) - goAt;
  return { reports, wallMs };
}

async function endWriters(writers) {
  for (const w of writers) w.child.stdin.end();
  const codes = await Promise.all(writers.map((w) => w.exited));
  if (codes.some((code) => code !== 0))
    throw new Error(`a state writer exited with ${codes.find((code) => code !== 0)}`);
}

/** Counts the acknowledged updates the final file does not hold, and the writers that did not read their own back. */
function checkFinal(state, writers, reports) {
  let lost = 0;
  let notVisible = 0;
  writers.forEach((w, i) => {
    const last = reports[i].lastPort;
    lost += Math.max(0, last - (state.servers[w.key]?.endpoint.port ?? 0));
    if (reports[i].visible === false) notVisible++;
  });
  return { lost, notVisible };
}

/**
 * @param writers processes of the contended figure (the 16).
 * @param updates updates per process and variant in the contended figure (the 100).
 * @param single updates per variant of the uncontended figure (one process, run already up).
 */
export async function benchStateFile({ writers = 16, updates = 100, single = 200, log }) {
  const owner = await startEmptyRun();
  const { stateFile } = owner.run;
  const dir = mkdtempSync(join(tmpdir(), 'es-bench-state-'));
  let floor;
  let reader;
  try {
    floor = await startFloor(dir);
    reader = spawnLines(['--import', 'tsx', READER, stateFile]);
    // Uncontended: one process, one update at a time, ours and the floor alternating in blocks.
    const alone = startWriter(stateFile, floor.socketPath, 0, BLOCK, 20);
    await alone.booted;
    await floor.setSize(statSync(stateFile).size);
    const singleSamples = { ours: [], floor: [] };
    let singleReports = [];
    for (let b = 0; b < Math.ceil(single / BLOCK); b++) {
      for (const variant of b % 2 ? ['floor', 'ours'] : ['ours', 'floor']) {
        const { reports } = await phase([alone], variant);
        singleSamples[variant].push(...reports[0].latencies);
        if (variant === 'ours') singleReports = reports;
      }
    }
    const singleCheck = checkFinal(await readState(stateFile), [alone], singleReports);
    await endWriters([alone]);
    log('  state file: uncontended done');

    // Contended: every writer at once, the floor first, then ours.
    const all = Array.from({ length: writers }, (_, i) => startWriter(stateFile, floor.socketPath, i + 1, updates, 5));
    await Promise.all(all.map((w) => w.booted));
    await floor.setSize(statSync(stateFile).size);
    const floorPhase = await phase(all, 'floor');
    const oursPhase = await phase(all, 'ours');
    const contendedCheck = checkFinal(await readState(stateFile), all, oursPhase.reports);
    const stateBytes = statSync(stateFile).size;
    await endWriters(all);

    reader.child.stdin.end();
    const read = JSON.parse(await reader.next());
    log('  state file: contended done');
    const total = writers * updates;
    const contended = (p) => ({
      wallMs: p.wallMs,
      throughputPerS: total / (p.wallMs / 1000),
      latency: summarize(p.reports.flatMap((r) => r.latencies)),
    });
    return {
      single: {
        updates: singleSamples.ours.length,
        ours: summarize(singleSamples.ours),
        floor: summarize(singleSamples.floor),
        ...singleCheck,
      },
      writers,
      updatesEach: updates,
      total,
      stateBytes,
      ours: contended(oursPhase),
      floor: contended(floorPhase),
      lost: singleCheck.lost + contendedCheck.lost,
      notVisible: singleCheck.notVisible + contendedCheck.notVisible,
      reads: read.reads,
      torn: read.torn,
      regressions: read.regressions,
      readErrors: read.errors,
    };
  } finally {
    reader?.child.kill();
    await floor?.stop();
    await owner.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}
