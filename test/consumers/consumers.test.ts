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
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_DIR_PREFIX } from '../../src/run/run-dir.js';
import { waitUntilGone } from '../helpers/processes.js';
import { childEnv, runCollected } from '../helpers/spawn.js';
import {
  checkNothingLeft,
  checkReports,
  checkStarts,
  readReports,
  readStarts,
  type ContractExpectation,
} from './contract/check-contract.js';
import { findConsumers, useConsumers } from './harness/consumers.mjs';

/** One entry of a consumer's `ephemeralServersConsumer.runs` (see README.md). */
interface ConsumerRun {
  script: string;
  contract?: ContractExpectation;
  /** The exit code the script must end with. @default 0 */
  exitCode?: number;
  /** Variables added to the script's environment. */
  env?: Record<string, string>;
  /** Strings its output (stdout and stderr) must contain. */
  outputIncludes?: string[];
  /** Strings its output must not contain. */
  outputExcludes?: string[];
}

const consumersDir = dirname(fileURLToPath(import.meta.url));
const consumers = findConsumers(consumersDir);
const workDir = mkdtempSync(join(tmpdir(), 'es-consumers-'));

/** A consumer runner's environment (see README.md): a clean one, plus the harness's variables. */
function consumerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return childEnv({ CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1', ...extra });
}

/** Installed version of a package in a consumer, for the log. */
function installedVersion(consumerDir: string, name: string): string {
  const path = join(consumerDir, 'node_modules', name, 'package.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version : 'not installed';
}

let releaseLock: (() => Promise<void>) | undefined;
/** The package as the tarball ships it (`<workDir>/unpacked/package`). */
let packedDir: string;

beforeAll(async () => {
  // Shared with the session's other consumer files; another session's refresh or install (which would
  // swap node_modules under our runners) waits for it.
  ({ packedDir, release: releaseLock } = await useConsumers(consumers, workDir));
}, 660_000);

afterAll(async () => {
  rmSync(workDir, { recursive: true, force: true });
  await releaseLock?.();
});

describe('the packed package', () => {
  it('has source maps that point only at files it contains', () => {
    const dist = join(packedDir, 'dist');
    const maps = readdirSync(dist).filter((name) => name.endsWith('.map'));
    const outside: string[] = [];
    let sources = 0;
    for (const name of maps) {
      const map = JSON.parse(readFileSync(join(dist, name), 'utf8')) as { sources: string[] };
      for (const source of map.sources) {
        sources += 1;
        const path = resolve(dist, source);
        if (!path.startsWith(packedDir + sep) || !existsSync(path)) outside.push(`${name}: ${source}`);
      }
    }
    console.log(
      `packed package: ${maps.length} source maps, ${sources} sources, all inside the package: ${outside.length === 0}`,
    );
    expect(maps.length).toBeGreaterThan(0);
    expect(outside).toEqual([]);
  });
});

describe.each(consumers)('consumer $name', (consumer) => {
  it.each(consumer.runs as ConsumerRun[])(
    'npm run $script',
    async ({ script, contract, exitCode = 0, env = {}, outputIncludes = [], outputExcludes = [] }) => {
      const runDir = mkdtempSync(join(workDir, `${consumer.name}-`));
      const reportDir = join(runDir, 'reports');
      // The run's own temp dir: every run directory it creates lands there, so "none left" is checkable.
      const runTmp = join(runDir, 'tmp');
      mkdirSync(reportDir);
      mkdirSync(runTmp);
      const result = await runCollected('npm', ['run', '--silent', script], {
        cwd: consumer.dir,
        env: consumerEnv({
          ...env,
          TMPDIR: runTmp,
          ES_CONTRACT_REPORT_DIR: reportDir,
          ES_CONTRACT_MIN_SLOTS: String(contract?.minSlots ?? 1),
          ES_CONSUMER_CACHE_DIR: join(runDir, 'cache'),
        }),
      });
      const versions = consumer.runners.map((name) => `${name}@${installedVersion(consumer.dir, name)}`).join(', ');
      const starts = readStarts(reportDir);
      const counted = Object.entries(starts)
        .map(([name, pids]) => `${name} ×${pids.length}`)
        .join(', ');
      console.log(
        `consumer ${consumer.name}: npm run ${script} (${versions}): ${result.code ?? result.signal} in ${result.ms} ms${counted ? `; starts: ${counted}` : ''}`,
      );
      // ES_CONSUMER_PRINT_OUTPUT=1: every run's output, e.g. to copy a real failure into the docs.
      if (process.env.ES_CONSUMER_PRINT_OUTPUT === '1')
        console.log(`--- output of npm run ${script} in ${consumer.name} ---\n${result.output}--- end ---`);
      expect(
        result.code,
        `npm run ${script} in ${consumer.name}: expected exit code ${exitCode}:\n${result.output}`,
      ).toBe(exitCode);
      for (const text of outputIncludes) expect(result.output, `npm run ${script} in ${consumer.name}`).toContain(text);
      for (const text of outputExcludes)
        expect(result.output, `npm run ${script} in ${consumer.name}`).not.toContain(text);
      // Every log an error names is still there after the run; a clean run keeps no log at all.
      const namedLogs = [...result.output.matchAll(/full log(?: \(kept after the run\))?: (\/\S+)/g)].map(
        (match) => match[1]!,
      );
      expect(
        namedLogs.filter((path) => !existsSync(path)),
        `logs named in the output but gone:\n${result.output}`,
      ).toEqual([]);
      if (exitCode === 0)
        expect(
          readdirSync(runTmp).filter((name) => name.startsWith('ephemeral-servers-logs')),
          'kept logs after a clean run',
        ).toEqual([]);
      if (contract !== undefined) {
        const reports = readReports(reportDir);
        expect(checkReports(reports, contract), result.output).toEqual([]);
        expect(checkStarts(starts, reports), result.output).toEqual([]);
        expect(await checkNothingLeft(reports)).toEqual([]);
      }
      // Runs without a contract too: no server that logged a start is left, nor any run directory.
      expect(await waitUntilGone(Object.values(starts).flat(), 2000), 'started servers still running').toEqual([]);
      // A supervisor may still be finishing its removal (`<dir>.removing-<pid>`) as the runner exits: 2 s, as for the processes.
      const runDirs = (): string[] => readdirSync(runTmp).filter((name) => name.startsWith(RUN_DIR_PREFIX));
      for (const deadline = Date.now() + 2000; runDirs().length > 0 && Date.now() < deadline;)
        await new Promise((r) => setTimeout(r, 20));
      expect(runDirs(), 'run directories left').toEqual([]);
    },
    120_000,
  );
});
