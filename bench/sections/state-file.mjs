// 4b. State file: 16 processes updating one run's state file at once (lock → read → modify → atomic
// write), and a reader checking that no read ever sees a torn file. Lost updates: each writer checks
// its own counter before every increment, and the final file must hold every writer's last value.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRun, readState, removeRunDir } from '../lib/ours.mjs';
import { summarize } from '../lib/stats.mjs';

const WRITER = fileURLToPath(new URL('./state-writer.mjs', import.meta.url));
const READER = fileURLToPath(new URL('./state-reader.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function collect(child) {
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${child.spawnargs.join(' ')} exited with ${code}`)))),
  );
}

export async function benchStateFile({ writers = 16, updates = 25, log }) {
  const run = await createRun();
  try {
    // Seed one entry per writer through a writer-style update (the schema needs full entries).
    const { updateState } = await import('../../src/state/index.ts').catch(() => ({}));
    if (!updateState) throw new Error('run under `node --import tsx` (bench/run.mjs does)');
    await updateState(run.stateFile, (s) => {
      for (let i = 1; i <= writers; i++) {
        s.servers[`w${i}@${i}`] = {
          name: `w${i}`,
          slot: i,
          scope: 'worker',
          kind: 'in-process',
          endpoint: { name: `w${i}`, slot: i, host: '127.0.0.1', port: 0, url: 'http://127.0.0.1:0' },
          pid: process.pid,
          owner: { kind: 'worker', pid: process.pid },
          startedAt: new Date().toISOString(),
          stopSignal: 'SIGTERM',
          stopTimeoutMs: 1000,
          status: 'running',
          dependsOn: [],
        };
      }
    });
    const spawnTsx = (file, args) =>
      spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const reader = spawnTsx(READER, [run.stateFile]);
    const readerOut = collect(reader);
    const children = Array.from({ length: writers }, (_, i) => spawnTsx(WRITER, [run.stateFile, String(i + 1), String(updates)]));
    const outputs = children.map(collect);
    await Promise.all(children.map((c) => new Promise((resolve) => c.stdout.once('data', resolve)))); // booted
    const t0 = performance.now();
    for (const c of children) c.stdin.write('go\n');
    const latencies = (await Promise.all(outputs)).flatMap((out) => JSON.parse(out.replace(/^booted\n/, '')));
    const wallMs = performance.now() - t0;
    reader.stdin.end();
    const read = JSON.parse(await readerOut);
    const final = await readState(run.stateFile);
    let lost = 0;
    for (let i = 1; i <= writers; i++) lost += updates - (final.servers[`w${i}@${i}`]?.endpoint.port ?? 0);
    log('  state file done');
    return {
      writers,
      updatesEach: updates,
      total: writers * updates,
      wallMs,
      throughputPerS: (writers * updates) / (wallMs / 1000),
      latency: summarize(latencies),
      lost,
      reads: read.reads,
      torn: read.torn,
      readErrors: read.errors,
    };
  } finally {
    await removeRunDir(run);
  }
}
