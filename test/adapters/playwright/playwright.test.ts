import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RUN_DIR_PREFIX } from '../../../src/run/run-dir.js';
import { isLive, pidsInLog, waitUntilGone } from '../../helpers/processes.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const project = fileURLToPath(new URL('./project/', import.meta.url));
const playwrightCli = join(root, 'node_modules/@playwright/test/cli.js');

let dir: string;
let files: { pids: string; imports: string; records: string; block: string; runs: string; output: string };
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  // The project resolves `ephemeral-servers/playwright` (its import, and `globalSetup` by package name,
  // which Playwright resolves with require.resolve from the project) as an installed package would.
  const link = join(project, 'node_modules/ephemeral-servers');
  if (!existsSync(link)) {
    await mkdir(join(project, 'node_modules'), { recursive: true });
    await symlink(root, link, 'dir');
  }
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-pw-'));
  files = {
    pids: join(dir, 'pids.txt'),
    imports: join(dir, 'imports.jsonl'),
    records: join(dir, 'records.jsonl'),
    block: join(dir, 'blocked.txt'),
    runs: join(dir, 'tmp'),
    output: join(dir, 'out'),
  };
  await mkdir(files.runs);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await rm(dir, { recursive: true, force: true });
});

function startPlaywright(extraEnv: NodeJS.ProcessEnv = {}) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ES_TEST_PID_FILE: files.pids,
    ES_TEST_IMPORTS_FILE: files.imports,
    ES_TEST_RECORD_FILE: files.records,
    ES_TEST_OUTPUT_DIR: files.output,
    // Run directories land here: "nothing left" is checkable.
    TMPDIR: files.runs,
    ...extraEnv,
  };
  for (const key of ['EPHEMERAL_SERVERS_STATE', 'EPHEMERAL_SERVERS_PLAYWRIGHT_PORTS', 'EPHEMERAL_SERVERS_CONFIG', 'TEST_WORKER_INDEX', 'TEST_PARALLEL_INDEX', 'VITEST_POOL_ID', 'VITEST_WORKER_ID']) {
    delete env[key];
  }
  const child = spawn(process.execPath, [playwrightCli, 'test', '-c', join(project, 'playwright.config.ts')], {
    cwd: project,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, output })),
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, done };
}

const readJsonLines = <T>(path: string): T[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as T)
    : [];

/** Live webServer launchers of this test's Playwright (their environment names this test's pid file). */
function launcherPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('playwright-launcher.js') &&
          readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`ES_TEST_PID_FILE=${files.pids}`)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function runDirsLeft(): Promise<string[]> {
  return (await readdir(files.runs)).filter((name) => name.startsWith(RUN_DIR_PREFIX));
}

interface Record {
  test: string;
  pid: number;
  slot: number;
  api: number;
  mem: number;
  baseURL: string;
}

describe('Playwright adapter (a real `playwright test`, no browser)', () => {
  it("webServer ports agree between runner and workers; worker servers are per slot, reused, and stopped", async () => {
    const { code, output } = await startPlaywright().done;
    expect(output).toContain('6 passed');
    expect(code).toBe(0);

    // The runner and each worker evaluated the config; every one of them got the runner's port.
    const imports = readJsonLines<{ pid: number; worker: string | null; port: number }>(files.imports);
    const runnerImports = imports.filter((i) => i.worker === null);
    const workerImports = imports.filter((i) => i.worker !== null);
    expect(runnerImports.length).toBeGreaterThanOrEqual(1);
    expect(workerImports.length).toBeGreaterThanOrEqual(2);
    expect(new Set(imports.map((i) => i.pid)).size).toBe(imports.length - runnerImports.length + 1);
    expect(new Set(imports.map((i) => i.port))).toEqual(new Set([runnerImports[0]!.port]));

    // Each test reached the web server at baseURL (asserted inside), and its slot's own servers.
    const records = readJsonLines<Record>(files.records);
    expect(records).toHaveLength(6);
    expect(new Set(records.map((r) => r.baseURL))).toEqual(new Set([`http://127.0.0.1:${runnerImports[0]!.port}`]));
    const slots = [...new Set(records.map((r) => r.slot))].sort();
    expect(slots).toEqual([1, 2]);
    const apiBySlot = new Map(slots.map((slot) => [slot, new Set(records.filter((r) => r.slot === slot).map((r) => r.api))]));
    // One api instance per slot, shared by every test (and file) of the slot, never by two slots.
    for (const ports of apiBySlot.values()) expect(ports.size).toBe(1);
    expect(new Set([...apiBySlot.values()].map((ports) => [...ports][0])).size).toBe(2);
    expect(pidsInLog(files.pids, 'api')).toHaveLength(2);

    // Nothing left: web (its launcher's run), both api instances (the run's), the run directory.
    const pids = [...pidsInLog(files.pids, 'web'), ...pidsInLog(files.pids, 'api')];
    expect(pids).toHaveLength(3);
    expect(await waitUntilGone(pids, 5000)).toEqual([]);
    expect(await runDirsLeft()).toEqual([]);
  });

  it.each(['SIGKILL', 'SIGTERM', 'SIGHUP', 'SIGINT'] as const)("runner gets %s: the run's supervisor stops the worker servers; the webServer's launcher stops its server", async (signal) => {
    const { child, done } = startPlaywright({ ES_TEST_BLOCK_FILE: files.block });
    // Both workers are inside a test, with their api instances started and handed to the run.
    while (!existsSync(files.block) || readFileSync(files.block, 'utf8').split('\n').filter(Boolean).length < 2) {
      if (child.exitCode !== null) throw new Error(`playwright exited early:\n${(await done).output}`);
      await sleep(20);
    }
    const [webPid] = pidsInLog(files.pids, 'web');
    const apiPids = pidsInLog(files.pids, 'api');
    const workerPids = [...new Set(readJsonLines<Record>(files.records).map((r) => r.pid))];
    expect(apiPids).toHaveLength(2);
    expect([webPid!, ...apiPids, ...workerPids].filter(isLive)).toHaveLength(5);
    const launchers = launcherPids();
    // `sh -c` (Playwright runs commands with a shell) and the launcher it runs.
    expect(launchers.length).toBeGreaterThanOrEqual(1);
    cleanups.push(() => {
      // Leftovers if the test fails: the web server, its launcher, workers still inside the blocked test.
      for (const target of [webPid!, ...launchers, ...workerPids]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }
    });

    const killedAt = performance.now();
    child.kill(signal);
    const ended = await done;
    expect(ended.signal ?? ended.code).toBeTruthy();
    // The launcher saw its stdin close (the runner is gone) or got Playwright's teardown, and stopped the server.
    expect(await waitUntilGone([webPid!, ...launchers], 2000)).toEqual([]);
    const serverGoneMs = Math.round(performance.now() - killedAt);
    // Nothing on the web server's port either.
    const webPort = readJsonLines<{ port: number }>(files.imports)[0]!.port;
    expect(await new Promise((resolve) => connect(webPort, '127.0.0.1').once('connect', function (this: Socket) { this.destroy(); resolve('open'); }).once('error', () => resolve('closed')))).toBe('closed');
    // Playwright's workers, inside a test that uses the worker fixture, go too (docs/runner-modes.md).
    const workersLeft = await waitUntilGone(workerPids, 2_000);
    console.log(
      `runner ${signal}: webServer and its launcher gone ${serverGoneMs} ms after the signal; ` +
        `workers (inside a test) gone after ${Math.round(performance.now() - killedAt)} ms${workersLeft.length > 0 ? ` (${workersLeft.length} still alive at 2 s)` : ''}`,
    );
    expect(workersLeft).toEqual([]);    // The supervisor stops the servers the run recorded, although the workers that started them may still
    // be alive (a worker inside a test finishes it before it notices the runner is gone).
    expect(await waitUntilGone(apiPids, 10_000)).toEqual([]);
    for (let i = 0; i < 500 && (await runDirsLeft()).length > 0; i++) await sleep(10);
    expect(await runDirsLeft()).toEqual([]);
  });
});
