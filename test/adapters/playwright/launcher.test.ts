/**
 * The webServer launcher (dist/playwright-launcher.js) run as Playwright runs a `defineWebServers`
 * entry: `sh -c <command>`, stdin a pipe the runner holds. Playwright itself is not needed for what is
 * checked here, the launcher's own exit (test/consumers/failure-contract.test.ts runs it under
 * Playwright's runner, signalled and killed).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_DIR_PREFIX } from '../../../src/run/run-dir.js';
import { pidsInLog, waitUntilGone } from '../../helpers/processes.js';
import { childEnv, spawnCollected, type Spawned } from '../../helpers/spawn.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const serverScript = join(root, 'test/fixtures/server.mjs');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The webServer entry of `web` as the built package writes it, and the launcher Playwright would start. */
async function startLauncher(dir: string, pidFile: string): Promise<Spawned> {
  // The built module: its launcher path is dist/playwright-launcher.js, the script Playwright runs.
  const { defineWebServers } = (await import(
    join(root, 'dist/playwright.js')
  )) as typeof import('../../../src/adapters/playwright/index.js');
  const env = childEnv({ TMPDIR: dir });
  const web = defineWebServers(
    {
      web: {
        command: [process.execPath, serverScript, '--port', '{port}', '--name', 'web', '--pid-file', pidFile],
        readiness: 'http',
      },
    },
    { env },
  );
  const entry = web.webServer[0]!;
  const launcher = spawnCollected('sh', ['-c', entry.command], { env, stdin: 'pipe' });
  cleanups.push(() => {
    launcher.child.stdin?.end();
    if (launcher.child.exitCode === null) launcher.child.kill('SIGKILL');
  });
  await launcher.waitFor(entry.wait!.stdout!, 'stdout');
  return launcher;
}

describe('webServer launcher', () => {
  it('exits 1 when its server dies after it was ready, the ServerDeadError on stderr, and leaves no run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'es-launcher-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const pidFile = join(dir, 'pids.txt');
    const launcher = await startLauncher(dir, pidFile);
    const [webPid] = pidsInLog(pidFile, 'web');
    const killedAt = performance.now();
    process.kill(webPid!, 'SIGKILL');
    const exited = await launcher.exited;
    const exitMs = Math.round(performance.now() - killedAt);
    console.log(
      `webServer SIGKILLed after ready: its launcher exited ${exited.code ?? exited.signal} ${exitMs} ms later`,
    );
    // Within 1 s, as the launcher goes after a runner's death.
    expect(exitMs).toBeLessThan(1000);
    expect(exited.code).toBe(1);
    expect(launcher.stderr).toContain('webServer "web" died after it was ready');
    expect(launcher.stderr).toMatch(/ServerDeadError: Server "web" \(slot 0\) died/);
    expect(await waitUntilGone([webPid!], 1000)).toEqual([]);
    for (
      const deadline = Date.now() + 2000;
      (await readdir(dir)).some((name) => name.startsWith(RUN_DIR_PREFIX)) && Date.now() < deadline;
    )
      await new Promise((r) => setTimeout(r, 20));
    expect((await readdir(dir)).filter((name) => name.startsWith(RUN_DIR_PREFIX))).toEqual([]);
  });
});
