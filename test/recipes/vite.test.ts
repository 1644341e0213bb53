/**
 * Recipe: a Vite dev server (docs/recipes.md#a-vite-dev-server), what most Playwright users run as
 * their `webServer`: the real Vite of this repository's devDependencies, queried with fetch.
 *
 * Vite's flags matter: without `--strictPort` a taken port makes it move to the next one and the probe
 * asks whoever holds the allocated port; without `--host {host}` it binds `localhost`, which resolves to
 * `::1` only on many machines. Vite 8.4 added a lock per project (`<cacheDir>/lock/*.json`): a second dev
 * server of the same project (a worker-scoped one, a second run on the same checkout) exits with "Found
 * another Vite dev process for this project" unless given `--bypass-lock`, a flag that Vite 8.3 and
 * older reject as unknown. The tests below pin both behaviours to the installed version.
 */
import { readdirSync, readlinkSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { defineServers, ServerExitedError, startRun, type CommandServerSpec } from '../../src/index.js';
import { startRecipe, tearDownAndExpectNothingLeft, tearDownLeftoverRuns } from './helpers.js';

afterEach(tearDownLeftoverRuns);

const require = createRequire(import.meta.url);
// vite's package exports do not include bin/vite.js: resolve it next to its package.json.
const vitePackageJson = require.resolve('vite/package.json');
const viteBin = join(dirname(vitePackageJson), 'bin', 'vite.js');
const { version: viteVersion } = JSON.parse(readFileSync(vitePackageJson, 'utf8')) as { version: string };
const [viteMajor = 0, viteMinor = 0] = viteVersion.split('.').map(Number);
/** Vite ≥ 8.4 locks a project against a second dev server and takes `--bypass-lock`; older ones reject that flag. */
const viteLocksProjects = viteMajor > 8 || (viteMajor === 8 && viteMinor >= 4);

/** test/fixtures/vite-app: an index.html and one module, no config, no dependencies. */
const projectDir = fileURLToPath(new URL('../fixtures/vite-app/', import.meta.url));

/** The recipe: Vite's dev server on the allocated port and host, ready when `/` answers. */
function viteDevServer({
  bypassLock = viteLocksProjects,
  port = '{port}',
}: { bypassLock?: boolean; port?: string } = {}): CommandServerSpec {
  return {
    command: [
      process.execPath,
      viteBin,
      '--strictPort',
      '--host',
      '{host}',
      '--port',
      port,
      ...(bypassLock ? ['--bypass-lock'] : []),
    ],
    cwd: projectDir,
    readiness: 'http',
  };
}

it(`serves the project through Vite ${viteVersion}'s dev server on the allocated host and port, and leaves nothing`, async () => {
  const run = await startRecipe('vite', defineServers({ web: viteDevServer() }));
  const { web } = run.owner.endpoints;
  expect(web?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  const page = await fetch(`${web!.url}/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('hello from vite');
  expect(html).toContain('/@vite/client'); // Vite's dev server, not a static file server
  const module = await fetch(`${web!.url}/main.js`);
  expect(module.status).toBe(200);
  expect(module.headers.get('content-type')).toMatch(/javascript/);

  await tearDownAndExpectNothingLeft(run);
});

it('runs a second dev server of the same project beside the first (a worker-scoped webServer, a second run)', async () => {
  const run = await startRecipe(
    'vite (two of one project)',
    defineServers({ first: viteDevServer(), second: { ...viteDevServer(), dependsOn: ['first'] } }),
  );
  const { first, second } = run.owner.endpoints;
  expect(first!.port).not.toBe(second!.port);
  for (const url of [first!.url, second!.url])
    expect(await (await fetch(`${url}/`)).text()).toContain('hello from vite');

  await tearDownAndExpectNothingLeft(run);
});

it(`Vite ${viteVersion}: ${viteLocksProjects ? 'without --bypass-lock, a second dev server of the project exits' : 'rejects --bypass-lock as an unknown option'}`, async () => {
  const config = viteLocksProjects
    ? defineServers({
        first: viteDevServer({ bypassLock: false }),
        second: { ...viteDevServer({ bypassLock: false }), dependsOn: ['first'] },
      })
    : defineServers({ web: viteDevServer({ bypassLock: true }) });
  const error: unknown = await startRun({ config, exportEnv: false, sweep: false }).then(
    async (owner) => {
      await owner.teardown();
      return undefined;
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ServerExitedError);
  const tail = (error as ServerExitedError).outputTail.join('\n');
  if (viteLocksProjects) {
    expect((error as ServerExitedError).server).toBe('second');
    expect(tail).toContain('Found another Vite dev process for this project');
    expect(tail).toContain('--bypass-lock');
  } else {
    expect(tail).toContain('Unknown option `--bypassLock`');
  }
  // A failed start leaves nothing either: no Vite of this project is left running.
  expect(viteProcessesOfProject()).toEqual([]);
});

it('learns the port from Vite itself when it binds port 0 (no allocation at all)', async () => {
  const run = await startRecipe(
    'vite (port 0)',
    defineServers({
      web: {
        ...viteDevServer({ port: '0' }),
        port: 0,
        // Vite prints `➜  Local:   http://127.0.0.1:<port>/`, colored under CI=true: the log probe strips ANSI escapes.
        readiness: [/Local:\s+http:\/\/\S+:(?<port>\d+)\//, 'http'],
      },
    }),
  );
  const { web } = run.owner.endpoints;
  expect(web!.port).toBeGreaterThan(0);
  expect(await (await fetch(`${web!.url}/`)).text()).toContain('hello from vite');

  await tearDownAndExpectNothingLeft(run);
});

/** Live pids running this repository's vite/bin/vite.js in the fixture project. */
function viteProcessesOfProject(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.includes(viteBin) && `${readlinkSync(`/proc/${name}/cwd`)}/` === projectDir) pids.push(Number(name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ESRCH' && code !== 'EACCES') throw error;
    }
  }
  return pids;
}
