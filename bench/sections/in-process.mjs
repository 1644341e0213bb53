// 3. In-process server start+stop per test (port 0): ours vs a bare listen(0)/close() (the floor).
// Ours joining a run is one `record` and one `remove` request to the run's supervisor on top of the floor;
// a new run per start also spawns a supervisor and ends it (so it gets fewer samples, taken after the others).
import { createServer } from 'node:http';
import { startEmptyRun, startServers } from '../lib/ours.mjs';
import { summarize } from '../lib/stats.mjs';

const handler = (req, res) => res.end('ok');
const BLOCKS = 10;
/** Starts of each of the floor and ours before anything is measured. */
const WARM_UP = 100;

async function bare() {
  const t0 = performance.now();
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const t1 = performance.now();
  await new Promise((resolve) => server.close(resolve));
  const t2 = performance.now();
  return { start: t1 - t0, stop: t2 - t1, total: t2 - t0 };
}

async function ours(stateFile) {
  const t0 = performance.now();
  const handle = await startServers(
    { api: { app: () => createServer(handler) } },
    stateFile ? { stateFile, exportEnv: false } : { exportEnv: false },
  );
  const t1 = performance.now();
  await handle.stop();
  const t2 = performance.now();
  return { start: t1 - t0, stop: t2 - t1, total: t2 - t0 };
}

export async function benchInProcess({ iterations, log }) {
  const owner = await startEmptyRun();
  const perBlock = Math.max(1, Math.round(iterations / BLOCKS));
  const variants = {
    bare: { label: 'bare floor: http.createServer().listen(0) + close()', fn: () => bare(), perBlock },
    ours: {
      label: 'ephemeral-servers, joining the run (what a test does)',
      fn: () => ours(owner.run.stateFile),
      perBlock,
    },
    'ours-standalone': {
      label: 'ephemeral-servers, new run per start (no globalSetup)',
      fn: () => ours(undefined),
      perBlock: 1,
    },
  };
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, { start: [], stop: [], total: [] }]));
  const record = (id, r) => {
    for (const k of ['start', 'stop', 'total']) samples[id][k].push(r[k]);
  };
  try {
    // Warm-up: a test suite starts many of these in one process; the first ones pay for JIT and the first connection.
    for (let i = 0; i < WARM_UP; i++) {
      await variants.bare.fn();
      await variants.ours.fn();
    }
    // The floor and ours alternate in blocks; the variant that spawns a supervisor per start runs apart,
    // after them: a node process booting next to the blocks would disturb both on 2 cores.
    for (let b = 0; b < BLOCKS; b++) {
      for (const id of ['bare', 'ours'])
        for (let i = 0; i < variants[id].perBlock; i++) record(id, await variants[id].fn());
    }
    for (let b = 0; b < BLOCKS; b++) record('ours-standalone', await variants['ours-standalone'].fn());
  } finally {
    await owner.teardown();
  }
  log('  in-process done');
  const bareTotal = summarize(samples.bare.total);
  return {
    rows: Object.entries(variants).map(([id, v]) => {
      const total = summarize(samples[id].total);
      return {
        id,
        label: v.label,
        ...total,
        start: summarize(samples[id].start),
        stop: summarize(samples[id].stop),
        overMs: total.median - bareTotal.median,
      };
    }),
  };
}
