/**
 * Tests against what users install: every consumer project of test/consumers (see README.md) runs its
 * real runner against the packed package, and each run that declares a `contract` is checked against
 * the consumer contract (contract/check-contract.ts): endpoints visible, isolation per worker slot,
 * reuse within a slot, nothing left running afterwards.
 *
 * Needs the consumers installed first: `node test/consumers/install.mjs` (slow, network). Here the
 * current build is packed again (`npm pack`) and unpacked over each consumer's installed copy, so the
 * tests always see the current dist/ exactly as the tarball ships it.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkNothingLeft, checkReports, readReports, type ContractExpectation } from './contract/check-contract.js';
import { findConsumers, installedIntegrity, lockConsumers, markInstalled, packPackage } from './harness/consumers.mjs';

const consumersDir = dirname(fileURLToPath(import.meta.url));
const consumers = findConsumers(consumersDir);
const workDir = mkdtempSync(join(tmpdir(), 'es-consumers-'));
const INSTALL_HINT = 'run `node test/consumers/install.mjs` first (after `npm run build`)';

/** Variables of the runner running this file that must not leak into a consumer's runner. */
function consumerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(VITEST|JEST_|EPHEMERAL_SERVERS_|TEST_PARALLEL_INDEX|TEST_WORKER_INDEX|NODE_OPTIONS$|npm_lifecycle|npm_package)/.test(name)) continue;
    env[name] = value;
  }
  return { ...env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
}

/** Runs `npm run <script>` in `cwd`; resolves with its exit status and combined output. */
function runScript(cwd: string, script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output, ms: Math.round(performance.now() - started) }));
  });
}

/** Installed version of a package in a consumer, for the log. */
function installedVersion(consumerDir: string, name: string): string {
  const path = join(consumerDir, 'node_modules', name, 'package.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version : 'not installed';
}

let releaseLock: (() => Promise<void>) | undefined;

beforeAll(async () => {
  // One session at a time: another one's refresh or install would swap node_modules under our runners.
  releaseLock = await lockConsumers(consumersDir);
  // Unpack the fresh tarball over every consumer's installed copy; its dependencies must not have
  // changed since the install (they are not reinstalled here).
  const packed = await packPackage(join(workDir, 'pack'));
  const unpacked = join(workDir, 'unpacked');
  mkdirSync(unpacked);
  await promisify(execFile)('tar', ['-xzf', packed.path, '-C', unpacked]);
  const fresh = JSON.parse(readFileSync(join(unpacked, 'package', 'package.json'), 'utf8')) as { dependencies?: object };
  for (const consumer of consumers) {
    const installedDir = join(consumer.dir, 'node_modules', 'ephemeral-servers');
    if (!existsSync(join(installedDir, 'package.json'))) throw new Error(`consumer ${consumer.name} is not installed: ${INSTALL_HINT}`);
    if (installedIntegrity(consumer.dir) === packed.integrity) continue;
    const installed = JSON.parse(readFileSync(join(installedDir, 'package.json'), 'utf8')) as { dependencies?: object };
    if (JSON.stringify(installed.dependencies) !== JSON.stringify(fresh.dependencies)) {
      throw new Error(`consumer ${consumer.name} was installed with other dependencies of ephemeral-servers: ${INSTALL_HINT}`);
    }
    rmSync(installedDir, { recursive: true, force: true });
    await cp(join(unpacked, 'package'), installedDir, { recursive: true });
    markInstalled(consumer.dir, packed.integrity);
  }
}, 660_000);

afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  await releaseLock?.();
});

describe.each(consumers)('consumer $name', (consumer) => {
  it.each(consumer.runs as { script: string; contract?: ContractExpectation }[])(
    'npm run $script',
    async ({ script, contract }) => {
      const runDir = mkdtempSync(join(workDir, `${consumer.name}-`));
      const reportDir = join(runDir, 'reports');
      mkdirSync(reportDir);
      const result = await runScript(
        consumer.dir,
        script,
        consumerEnv({
          ES_CONTRACT_REPORT_DIR: reportDir,
          ES_CONTRACT_MIN_SLOTS: String(contract?.minSlots ?? 1),
          ES_CONSUMER_CACHE_DIR: join(runDir, 'cache'),
        }),
      );
      const versions = consumer.runners.map((name) => `${name}@${installedVersion(consumer.dir, name)}`).join(', ');
      console.log(`consumer ${consumer.name}: npm run ${script} (${versions}): ${result.code ?? result.signal} in ${result.ms} ms`);
      expect(result.code, `npm run ${script} in ${consumer.name} failed:\n${result.output}`).toBe(0);
      if (contract === undefined) return;
      const reports = readReports(reportDir);
      expect(checkReports(reports, contract), result.output).toEqual([]);
      expect(await checkNothingLeft(reports)).toEqual([]);
    },
    120_000,
  );
});
