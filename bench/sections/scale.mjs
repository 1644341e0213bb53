// 4a. Scale: 8 worker slots × 3 servers (a dependency chain each), all started at once.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startRun } from '../lib/ours.mjs';
import { killTagged } from '../lib/procs.mjs';
import { SCALE_CONFIG, TAG } from '../lib/scale-config.mjs';
import { epochMs, summarize } from '../lib/stats.mjs';

const WORKER = fileURLToPath(new URL('./scale-worker.mjs', import.meta.url));

/** Starts `slots` booted workers, sends "go" to all, returns { wallMs, chains } once every chain is ready. */
async function once(stateFile, slots) {
  const workers = [];
  for (let slot = 1; slot <= slots; slot++) {
    const child = spawn(process.execPath, [WORKER, String(slot)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, EPHEMERAL_SERVERS_STATE: stateFile },
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    workers.push({ child, lines, exited: new Promise((resolve) => child.once('exit', resolve)) });
  }
  for (const w of workers) await w.lines.next(); // booted
  const goAt = epochMs();
  for (const w of workers) w.child.stdin.write('go\n');
  const reports = [];
  for (const w of workers) {
    const { value } = await w.lines.next();
    if (!value) throw new Error('a scale worker died before reporting');
    reports.push(JSON.parse(value));
  }
  const wallMs = Math.max(...reports.map((r) => r.readyAt)) - goAt;
  for (const w of workers) w.child.stdin.end('stop\n');
  await Promise.all(workers.map((w) => w.exited));
  return { wallMs, chains: reports.map((r) => r.chainMs) };
}

export async function benchScale({ rounds, slots = 8, log }) {
  const owner = await startRun({ config: SCALE_CONFIG, exportEnv: false });
  const single = [];
  const wall = [];
  const slowest = [];
  try {
    await once(owner.run.stateFile, 1); // warm-up
    for (let round = 0; round < rounds; round++) {
      single.push((await once(owner.run.stateFile, 1)).wallMs);
      const parallel = await once(owner.run.stateFile, slots);
      wall.push(parallel.wallMs);
      slowest.push(Math.max(...parallel.chains));
    }
  } finally {
    await owner.teardown();
    await killTagged(TAG);
  }
  log('  scale done');
  const s = { single: summarize(single), wall: summarize(wall), slowest: summarize(slowest) };
  return {
    slots,
    servers: Object.keys(SCALE_CONFIG).length,
    ...s,
    ratioToSlowestChain: s.wall.median / s.slowest.median,
    ratioToSingleChain: s.wall.median / s.single.median,
  };
}
