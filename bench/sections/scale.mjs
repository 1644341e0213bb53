// 4a. Scale, in one run: 8 worker slots × 3 command servers (a dependency chain each) all started at once;
// and 24 worker processes × 5 in-process servers each, all starting at once, against the same 24
// processes doing bare listen(0)s (the floor) in the same round.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startRun } from '../lib/ours.mjs';
import { killTagged } from '../lib/procs.mjs';
import { SCALE_CONFIG, TAG } from '../lib/scale-config.mjs';
import { epochMs, summarize } from '../lib/stats.mjs';

const WORKER = fileURLToPath(new URL('./scale-worker.mjs', import.meta.url));

/** Spawns `count` workers (slots 1…count) and waits until each has booted. */
async function spawnWorkers(stateFile, count) {
  const workers = [];
  for (let slot = 1; slot <= count; slot++) {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, String(slot)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, EPHEMERAL_SERVERS_STATE: stateFile },
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    workers.push({ child, lines, exited: new Promise((resolve) => child.once('exit', resolve)) });
  }
  for (const w of workers) await w.lines.next(); // booted
  return workers;
}

/** Sends `command` to every worker at once; resolves with { sentAt, reports } once each has answered. */
async function command(workers, line) {
  const sentAt = epochMs();
  for (const w of workers) w.child.stdin.write(`${line}\n`);
  const reports = [];
  for (const w of workers) {
    const { value } = await w.lines.next();
    if (!value) throw new Error(`a scale worker died before answering "${line}"`);
    reports.push(JSON.parse(value));
  }
  return { sentAt, reports };
}

async function endWorkers(workers) {
  for (const w of workers) w.child.stdin.end();
  await Promise.all(workers.map((w) => w.exited));
}

/** `slots` chains at once: { wallMs, chains }. */
async function chains(stateFile, slots) {
  const workers = await spawnWorkers(stateFile, slots);
  try {
    const { sentAt, reports } = await command(workers, 'chain');
    await command(workers, 'stop');
    return { wallMs: Math.max(...reports.map((r) => r.readyAt)) - sentAt, chains: reports.map((r) => r.chainMs) };
  } finally {
    await endWorkers(workers);
  }
}

/** `processes` × `count` in-process servers, bare and ours in the same processes: { bare, ours } of { starts, stops }. */
async function inProcess(stateFile, processes, count, round) {
  const workers = await spawnWorkers(stateFile, processes);
  const out = {};
  try {
    for (const mode of round % 2 ? ['ours', 'bare'] : ['bare', 'ours']) {
      const started = await command(workers, `in-process ${mode} ${count}`);
      const stopped = await command(workers, 'stop');
      out[mode] = { starts: started.reports.flatMap((r) => r.starts), stops: stopped.reports.flatMap((r) => r.stops) };
    }
  } finally {
    await endWorkers(workers);
  }
  return out;
}

export async function benchScale({ rounds, slots = 8, processes = 24, inProcessEach = 5, log }) {
  const owner = await startRun({ config: SCALE_CONFIG, exportEnv: false, sweep: false });
  const single = [];
  const wall = [];
  const slowest = [];
  const ip = { bare: { starts: [], stops: [] }, ours: { starts: [], stops: [] } };
  try {
    await chains(owner.run.stateFile, 1); // warm-up
    for (let round = 0; round < rounds; round++) {
      single.push((await chains(owner.run.stateFile, 1)).wallMs);
      const parallel = await chains(owner.run.stateFile, slots);
      wall.push(parallel.wallMs);
      slowest.push(Math.max(...parallel.chains));
    }
    log('  scale: chains done');
    for (let round = 0; round < rounds; round++) {
      const r = await inProcess(owner.run.stateFile, processes, inProcessEach, round);
      for (const mode of ['bare', 'ours']) for (const k of ['starts', 'stops']) ip[mode][k].push(...r[mode][k]);
    }
    log('  scale: in-process done');
  } finally {
    await owner.teardown();
    await killTagged(TAG);
  }
  const s = { single: summarize(single), wall: summarize(wall), slowest: summarize(slowest) };
  return {
    slots,
    servers: Object.keys(SCALE_CONFIG).length,
    ...s,
    ratioToSlowestChain: s.wall.median / s.slowest.median,
    ratioToSingleChain: s.wall.median / s.single.median,
    inProcess: {
      processes,
      serversEach: inProcessEach,
      rounds,
      bare: { start: summarize(ip.bare.starts), stop: summarize(ip.bare.stops) },
      ours: { start: summarize(ip.ours.starts), stop: summarize(ip.ours.stops) },
    },
  };
}
