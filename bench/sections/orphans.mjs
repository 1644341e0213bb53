// 6. Orphans: the runner is SIGKILLed (only the runner process, not its process group: what a crashed
// or cancelled CI step does) while two servers run, one with a grandchild. Counts the server processes
// (servers, their grandchild, shell wrappers) still alive 1 s later, then kills them.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { PLAYWRIGHT_CLI, PLAYWRIGHT_CONFIG, SSAT_BIN } from '../lib/peers.mjs';
import { findTagged, isLive, killTagged } from '../lib/procs.mjs';
import { SERVERS, shellCommand } from '../lib/servers.mjs';
import { sleep } from '../lib/stats.mjs';

const RUNNER = fileURLToPath(new URL('./orphan-runner.mjs', import.meta.url));

async function waitFor(check, timeoutMs, what) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`orphans: ${what} not ready within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Spawns the runner of `tool`; resolves { child } once its servers are ready. */
async function startRunner(tool, tag, dir) {
  const cmd = (port, grandchild) => shellCommand(SERVERS.node.argv(port, tag, grandchild ? ['--grandchild'] : []));
  const mark = join(dir, 'mark');
  if (tool === 'start-server-and-test') {
    const [a, b] = [await getPort(), await getPort()];
    const child = spawn(
      process.execPath,
      [
        SSAT_BIN,
        cmd(a, false),
        `http://127.0.0.1:${a}`,
        cmd(b, true),
        `http://127.0.0.1:${b}`,
        `touch ${mark}; sleep 60`,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(() => existsSync(mark), 20_000, tool);
    return { child };
  }
  if (tool === 'playwright') {
    const [a, b] = [await getPort(), await getPort()];
    const child = spawn(process.execPath, [PLAYWRIGHT_CLI, 'test', '-c', PLAYWRIGHT_CONFIG], {
      stdio: 'ignore',
      env: {
        ...process.env,
        BENCH_PW_COMMAND: cmd(a, false),
        BENCH_PW_URL: `http://127.0.0.1:${a}`,
        BENCH_PW_COMMAND2: cmd(b, true),
        BENCH_PW_URL2: `http://127.0.0.1:${b}`,
        BENCH_PW_MARK: mark,
        BENCH_PW_HOLD_MS: '60000',
        BENCH_PW_OUTPUT: join(dir, 'out'),
      },
    });
    await waitFor(() => existsSync(mark), 30_000, tool);
    return { child };
  }
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, tool, tag], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await waitFor(() => out.includes('ready'), 20_000, tool);
  return { child };
}

export const ORPHAN_TOOLS = {
  'ours-run': 'ephemeral-servers startRun() (run owner)',
  'ours-servers': 'ephemeral-servers startServers() (owns its run)',
  'wait-on': 'hand-rolled spawn + wait-on',
  'jest-dev-server': 'jest-dev-server setup()',
  'start-server-and-test': 'start-server-and-test',
  playwright: 'Playwright Test webServer',
};

export async function benchOrphans({ log }) {
  const rows = [];
  for (const [tool, label] of Object.entries(ORPHAN_TOOLS)) {
    const tag = `es-bench-orphan-${tool}-${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), 'es-bench-orphans-'));
    try {
      const { child } = await startRunner(tool, tag, dir);
      await sleep(50); // a grandchild spawned just before "ready" is up
      const before = findTagged(tag).filter((p) => p.pid !== child.pid);
      child.kill('SIGKILL');
      await sleep(1000);
      const left = findTagged(tag);
      rows.push({
        tool,
        label,
        serverProcesses: before.length,
        left: left.length,
        leftCommands: left.map(
          (p) =>
            (p.cmd.startsWith('/bin/sh') || p.cmd.startsWith('sh ') ? '/bin/sh ' : '') +
            p.cmd.replace(/\s+--tag=\S+/, '').slice(-70),
        ),
        runnerDead: !isLive(child.pid),
      });
    } catch (error) {
      rows.push({ tool, label, error: String(error.message) });
    } finally {
      await killTagged(tag);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  log('  orphans done');
  return { rows };
}
