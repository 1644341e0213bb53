// 5. Port allocation across 16 processes at once: plain get-port vs our allocator, any free port and a
// preferred range. A collision is a port handed out that the process then cannot bind (EADDRINUSE).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from '../lib/stats.mjs';

const WORKER = fileURLToPath(new URL('./ports-worker.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function once(mode, range, { processes, count, bootMs }) {
  const reservationDir = mkdtempSync(join(tmpdir(), 'es-bench-ports-'));
  try {
    const children = Array.from({ length: processes }, () =>
      spawn(process.execPath, ['--import', 'tsx', WORKER, mode, range, String(count), String(bootMs), reservationDir], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    const outputs = children.map(
      (child) =>
        new Promise((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (d) => {
            out += d;
            const json = out.replace(/^booted\n/, '');
            try {
              if (json) resolve(JSON.parse(json));
            } catch {}
          });
          child.once('exit', (code) => reject(new Error(`ports worker exited with ${code}`)));
        }),
    );
    await Promise.all(children.map((c) => new Promise((resolve) => c.stdout.once('data', resolve)))); // booted
    for (const c of children) c.stdin.write('go\n');
    const results = await Promise.all(outputs);
    const exited = children.map((c) => new Promise((resolve) => c.once('exit', resolve)));
    for (const c of children) c.stdin.end();
    await Promise.all(exited);
    const handedOut = results.flatMap((r) => r.ports);
    return {
      collisions: results.reduce((n, r) => n + r.collisions, 0),
      duplicates: handedOut.length - new Set(handedOut).size,
      latencies: results.flatMap((r) => r.latencies),
    };
  } finally {
    rmSync(reservationDir, { recursive: true, force: true });
  }
}

export async function benchPorts({ processes = 16, count = 10, bootMs = 30, log }) {
  const rows = [];
  for (const range of ['any', '20000-20199']) {
    for (const mode of ['get-port', 'ours']) {
      const r = await once(mode, range, { processes, count, bootMs });
      rows.push({
        mode,
        range: range === 'any' ? 'any free port' : `preferred range ${range}`,
        allocations: processes * count,
        collisions: r.collisions,
        duplicates: r.duplicates,
        latency: summarize(r.latencies),
      });
    }
  }
  log('  ports done');
  return { processes, count, bootMs, rows };
}
