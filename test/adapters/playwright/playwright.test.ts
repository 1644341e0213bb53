import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RUN_DIR_PREFIX } from '../../../src/run/run-dir.js';
import { pidsInLog, waitUntilGone } from '../../helpers/processes.js';
import { childEnv, spawnCollected } from '../../helpers/spawn.js';

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

function startPlaywright() {
  const env = childEnv({
    ES_TEST_PID_FILE: files.pids,
    ES_TEST_IMPORTS_FILE: files.imports,
    ES_TEST_RECORD_FILE: files.records,
    ES_TEST_OUTPUT_DIR: files.output,
    // Run directories land here: "nothing left" is checkable.
    TMPDIR: files.runs,
  });
  const playwright = spawnCollected(
    process.execPath,
    [playwrightCli, 'test', '-c', join(project, 'playwright.config.ts')],
    { cwd: project, env },
  );
  cleanups.push(() => {
    if (playwright.child.exitCode === null && playwright.child.signalCode === null) playwright.child.kill('SIGKILL');
  });
  return playwright;
}

const readJsonLines = <T>(path: string): T[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as T)
    : [];

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
  it('webServer ports agree between runner and workers; worker servers are per slot, reused, and stopped', async () => {
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
    const apiBySlot = new Map(
      slots.map((slot) => [slot, new Set(records.filter((r) => r.slot === slot).map((r) => r.api))]),
    );
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

  // The runner SIGKILLed, or given SIGTERM, SIGHUP or SIGINT, during a test (the webServer's launcher
  // included): test/consumers/failure-contract.test.ts.
});
