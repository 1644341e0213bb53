// 3. In-process server start+stop per test (port 0): ours vs a bare listen(0)/close().
import { createServer } from 'node:http';
import { createRun, removeRunDir, startServers } from '../lib/ours.mjs';
import { summarize } from '../lib/stats.mjs';

const handler = (req, res) => res.end('ok');

async function bare() {
  const t0 = performance.now();
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const t1 = performance.now();
  await new Promise((resolve) => server.close(resolve));
  const t2 = performance.now();
  return { start: t1 - t0, stop: t2 - t1, total: t2 - t0 };
}

async function ours(run) {
  const t0 = performance.now();
  const handle = await startServers({ api: { app: () => createServer(handler) } }, run ? { stateFile: run.stateFile, exportEnv: false } : { exportEnv: false });
  const t1 = performance.now();
  await handle.stop();
  const t2 = performance.now();
  return { start: t1 - t0, stop: t2 - t1, total: t2 - t0 };
}

export async function benchInProcess({ iterations, log }) {
  const run = await createRun();
  const variants = {
    bare: { label: 'bare http.createServer().listen(0) + close()', fn: () => bare() },
    ours: { label: 'ephemeral-servers, joining the run (what a test does)', fn: () => ours(run) },
    'ours-standalone': { label: 'ephemeral-servers, new run per start (no globalSetup)', fn: () => ours(undefined) },
  };
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, { start: [], stop: [], total: [] }]));
  try {
    for (const v of Object.values(variants)) for (let i = 0; i < 5; i++) await v.fn(); // warm-up
    const blocks = 10;
    for (let b = 0; b < blocks; b++) {
      for (const [id, v] of Object.entries(variants)) {
        for (let i = 0; i < iterations / blocks; i++) {
          const r = await v.fn();
          for (const k of ['start', 'stop', 'total']) samples[id][k].push(r[k]);
        }
      }
    }
  } finally {
    await removeRunDir(run);
  }
  log('  in-process done');
  const bareTotal = summarize(samples.bare.total);
  return {
    rows: Object.entries(variants).map(([id, v]) => {
      const total = summarize(samples[id].total);
      return { id, label: v.label, ...total, start: summarize(samples[id].start), stop: summarize(samples[id].stop), overMs: total.median - bareTotal.median };
    }),
  };
}
