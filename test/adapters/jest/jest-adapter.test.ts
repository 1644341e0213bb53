/**
 * The Jest adapter's edges, with the repository's Jest 30 against the built dist/ (the full contract,
 * Jest 29 and 30, CommonJS and ESM, runs against the packed package in test/consumers). Each test
 * writes a tiny Jest project into a temp dir and runs the real `jest` on it, with a private TMPDIR so
 * that run directories left behind would be found.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_DIR_PREFIX } from '../../../src/run/run-dir.js';
import { pidsInLog, waitUntilGone } from '../../helpers/processes.js';
import { childEnv, runCollected, type SpawnResult } from '../../helpers/spawn.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dist = (file: string): string => join(root, 'dist', file);
/** Our three Jest modules, as a user's jest.config names them (built CommonJS files). */
const adapter = {
  globalSetup: dist('jest-global-setup.cjs'),
  globalTeardown: dist('jest-global-teardown.cjs'),
  testEnvironment: dist('jest-environment.cjs'),
};
const jestBin = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const serverScript = join(root, 'test', 'fixtures', 'server.mjs');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Writes `files` (relative path → content) under `dir`. */
function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A temp Jest project directory, a private TMPDIR, and a file where servers append their pids. */
function createProject(): { dir: string; tmp: string; pidFile: string } {
  const base = mkdtempSync(join(tmpdir(), 'es-jest-adapter-'));
  cleanups.push(() => rmSync(base, { recursive: true, force: true }));
  const dir = join(base, 'project');
  const tmp = join(base, 'tmp');
  mkdirSync(tmp);
  mkdirSync(dir);
  return { dir, tmp, pidFile: join(base, 'pids.log') };
}

/** A servers config module (plain object, no import) whose command servers append their pids to `pidFile`. */
function serversConfig(
  pidFile: string,
  servers: Record<string, { scope: 'run' | 'worker'; extra?: string[] }>,
): string {
  const specs = Object.entries(servers).map(
    ([name, { scope, extra = [] }]) =>
      `${JSON.stringify(name)}: { scope: '${scope}', readiness: 'http', command: ${JSON.stringify([process.execPath, serverScript, '--port', '{port}', '--name', name, '--pid-file', pidFile, ...extra])} }`,
  );
  return `export default {\n  ${specs.join(',\n  ')}\n};\n`;
}

function jestConfig(fields: Record<string, unknown>): string {
  return `module.exports = ${JSON.stringify({ testMatch: ['<rootDir>/*.test.cjs'], transform: {}, cacheDirectory: '<rootDir>/.jest-cache', ...fields }, null, 2)};\n`;
}

function runJest(
  project: { dir: string; tmp: string },
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  nodeArgs: string[] = [],
): Promise<SpawnResult> {
  return runCollected(process.execPath, [...nodeArgs, jestBin, '-c', 'jest.config.cjs', ...args], {
    cwd: project.dir,
    env: childEnv({ TMPDIR: project.tmp, CI: 'true', NO_COLOR: '1', ...env }),
  });
}

/** Run directories left in the project's private TMPDIR. */
function leftoverRunDirs(tmp: string): string[] {
  return readdirSync(tmp).filter((name) => name.startsWith(RUN_DIR_PREFIX));
}

async function expectServersGone(pidFile: string, names: string[]): Promise<void> {
  const pids = names.flatMap((name) => pidsInLog(pidFile, name));
  expect(pids.length).toBeGreaterThan(0);
  expect(await waitUntilGone(pids, 2000)).toEqual([]);
}

describe('ephemeral-servers/jest', () => {
  it('takes the config file from createGlobalSetup over EPHEMERAL_SERVERS_CONFIG, and getEndpoint reads the state file under another environment', async () => {
    const project = createProject();
    const files = {
      'jest.config.cjs': jestConfig({
        globalSetup: '<rootDir>/setup.cjs',
        globalTeardown: dist('jest-global-teardown.cjs'),
        testEnvironment: 'node',
      }),
      'setup.cjs': `module.exports = require(${JSON.stringify(dist('jest-global-setup.cjs'))}).createGlobalSetup({ configFile: 'e2e/servers.mjs' });\n`,
      'e2e/servers.mjs': serversConfig(project.pidFile, { shared: { scope: 'run' }, api: { scope: 'worker' } }),
      'plain.test.cjs': `
        const { getEndpoint } = require(${JSON.stringify(dist('jest.cjs'))});
        test('run-scoped servers through the state file', async () => {
          const shared = getEndpoint('shared');
          expect(shared.slot).toBe(0);
          expect(await (await fetch(shared.url)).text()).toBe('hello from shared');
          // The worker-scoped one is started by our environment only, which this project does not use.
          expect(globalThis.servers).toBeUndefined();
          expect(() => getEndpoint('api')).toThrow(expect.objectContaining({ code: 'ES_SERVER_NOT_FOUND' }));
        });
      `,
    };
    writeFiles(project.dir, files);
    const result = await runJest(project, [], { EPHEMERAL_SERVERS_CONFIG: 'does/not/exist.mjs' });
    expect(result.code, result.output).toBe(0);
    await expectServersGone(project.pidFile, ['shared']);
    expect(leftoverRunDirs(project.tmp)).toEqual([]);
  });

  it('loads the config named by EPHEMERAL_SERVERS_CONFIG in the global setup and in every worker', async () => {
    const project = createProject();
    const files = {
      'jest.config.cjs': jestConfig({
        ...adapter,
        maxWorkers: 2,
      }),
      'e2e/servers.mjs': serversConfig(project.pidFile, { shared: { scope: 'run' }, api: { scope: 'worker' } }),
      ...Object.fromEntries(
        ['a', 'b'].map((file) => [
          `${file}.test.cjs`,
          `
          const { getEndpoint } = require(${JSON.stringify(dist('jest.cjs'))});
          test('worker-scoped server from the same file', async () => {
            expect(process.env.EPHEMERAL_SERVERS_CONFIG).toBe(${JSON.stringify(join(project.dir, 'e2e/servers.mjs'))});
            expect(getEndpoint('api').slot).toBe(Number(process.env.JEST_WORKER_ID));
            expect(await (await fetch(getEndpoint('api').url)).text()).toBe('hello from api');
          });
        `,
        ]),
      ),
    };
    writeFiles(project.dir, files);
    const result = await runJest(project, [], { EPHEMERAL_SERVERS_CONFIG: 'e2e/servers.mjs' });
    expect(result.code, result.output).toBe(0);
    await expectServersGone(project.pidFile, ['shared', 'api']);
    expect(leftoverRunDirs(project.tmp)).toEqual([]);
  });

  it('reads the state file from an ES module test under another environment, loading the state API outside the VM', async () => {
    const project = createProject();
    writeFiles(project.dir, {
      'jest.config.cjs': jestConfig({
        globalSetup: dist('jest-global-setup.cjs'),
        globalTeardown: dist('jest-global-teardown.cjs'),
        testEnvironment: 'node',
        testMatch: ['<rootDir>/*.test.mjs'],
      }),
      'servers.config.mjs': serversConfig(project.pidFile, { shared: { scope: 'run' } }),
      'esm.test.mjs': `
        import { getEndpoint } from ${JSON.stringify(dist('jest.js'))};
        test('run-scoped server', async () => {
          expect(getEndpoint('shared')).toMatchObject({ name: 'shared', slot: 0 });
          expect(await (await fetch(getEndpoint('shared').url)).text()).toBe('hello from shared');
        });
      `,
    });
    const result = await runJest(project, [], {}, ['--experimental-vm-modules']);
    expect(result.code, result.output).toBe(0);
    await expectServersGone(project.pidFile, ['shared']);
    expect(leftoverRunDirs(project.tmp)).toEqual([]);
  });

  it('fails a test file under the environment without the global setup, saying what is missing', async () => {
    const project = createProject();
    writeFiles(project.dir, {
      'jest.config.cjs': jestConfig({ testEnvironment: dist('jest-environment.cjs') }),
      'alone.test.cjs': `test('needs the run', () => {});\n`,
    });
    const result = await runJest(project);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('EPHEMERAL_SERVERS_STATE is not set');
    expect(leftoverRunDirs(project.tmp)).toEqual([]);
  });
});
