#!/usr/bin/env node
// Installs every consumer project (test/consumers/*/package.json) against the package as users get it:
// packs the current build (dist/ must exist: run `npm run build` first) with `npm pack`, then in each
// consumer, in parallel: `npm ci` (or `npm install` when it has no lock file yet, which writes one),
// then `npm install --no-save <tarball>`. Slow (the runners come from the registry); run it once, before
// `vitest run test/consumers`. Usage: node test/consumers/install.mjs [--if-needed] [consumer-dir-name...]
// --if-needed: only the consumers with no installed copy of the package (what `npm test` runs, so that
// `npm ci && npm test` works on a fresh clone; the test itself refreshes installed copies).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findConsumers, lockConsumers, markInstalled, packPackage } from './harness/consumers.mjs';

const consumersDir = dirname(fileURLToPath(import.meta.url));

function npm(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`npm ${args.join(' ')} in ${cwd} failed: ${signal ?? `exit code ${code}`}`)),
    );
  });
}

const started = performance.now();
const ifNeeded = process.argv.includes('--if-needed');
const wanted = process.argv.slice(2).filter((arg) => arg !== '--if-needed');
const consumers = findConsumers(consumersDir)
  .filter((c) => wanted.length === 0 || wanted.includes(c.name))
  .filter((c) => !ifNeeded || !existsSync(join(c.dir, 'node_modules', 'ephemeral-servers', 'package.json')));
if (consumers.length === 0) {
  console.log('consumers: all installed');
  process.exit(0);
}
if (wanted.length > 0 && consumers.length !== wanted.length) {
  throw new Error(
    `unknown consumer(s): ${wanted.filter((name) => !consumers.some((c) => c.name === name)).join(', ')}`,
  );
}
const release = await lockConsumers(consumersDir);
try {
  const packed = await packPackage(join(consumersDir, '.pack'));
  console.log(`packed ${packed.path}`);
  await Promise.all(
    consumers.map(async (consumer) => {
      const t0 = performance.now();
      const hasLock = existsSync(join(consumer.dir, 'package-lock.json'));
      await npm(hasLock ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'], consumer.dir);
      await npm(['install', '--no-save', '--no-audit', '--no-fund', packed.path], consumer.dir);
      markInstalled(consumer.dir, packed.integrity);
      console.log(`installed ${consumer.name} in ${Math.round(performance.now() - t0)} ms`);
    }),
  );
} finally {
  await release();
}
console.log(`installed ${consumers.length} consumer(s) in ${Math.round(performance.now() - started)} ms`);
