import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { waitUntilGone } from '../../helpers/processes.js';
import { childEnv, runCollected } from '../../helpers/spawn.js';
import { isListening, leftoverRunDirs } from './run-vitest.js';

const exampleDir = fileURLToPath(new URL('../../../examples/vitest/', import.meta.url));
const rootDist = fileURLToPath(new URL('../../../dist/', import.meta.url));
const installedDist = join(exampleDir, 'node_modules/ephemeral-servers/dist');
const npm = (args: string[]) =>
  execFileSync('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: exampleDir, stdio: 'pipe' });

/** `name:size` of every file of a dist folder: differs when the installed copy predates the last build. */
function distSignature(dir: string): string {
  if (!existsSync(dir)) return '';
  return readdirSync(dir)
    .sort()
    .map((name) => `${name}:${statSync(join(dir, name)).size}`)
    .join('\n');
}

/**
 * Installs the example's dependencies when they are missing (`.ci/run` installs them up front), and
 * refreshes its copy of this package (`install-links`: a packed copy, not a symlink) when the build is
 * newer than the copy.
 */
function ensureExampleInstalled(): void {
  if (!existsSync(join(exampleDir, 'node_modules/vitest'))) npm(['ci']);
  if (distSignature(installedDist) !== distSignature(rootDist)) {
    execFileSync('rm', ['-rf', join(exampleDir, 'node_modules/ephemeral-servers')]);
    npm(['install']);
  }
}

/** Live processes whose command line mentions one of `needles` (the example's servers). */
function processesMentioning(needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!)) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (needles.some((needle) => cmdline.includes(needle))) found.push(`${entry}: ${cmdline}`);
    } catch {
      // The process exited while we looked: it is not left over.
    }
  }
  return found;
}

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface ExampleReport {
  file: string;
  pid: number;
  slot: number;
  ports: { static: number; api: number; python: number };
  stateFile: string;
  pids: number[];
}

it('examples/vitest passes with 2 workers and leaves no process, port or run directory', async () => {
  ensureExampleInstalled();
  dir = await mkdtemp(join(tmpdir(), 'es-example-'));
  const reportFile = join(dir, 'report.jsonl');
  const startedAt = performance.now();
  const { code, output } = await runCollected(
    process.execPath,
    [join(exampleDir, 'node_modules/vitest/vitest.mjs'), 'run'],
    {
      cwd: exampleDir,
      env: childEnv({ TMPDIR: dir, EXAMPLE_REPORT: reportFile, EPHEMERAL_SERVERS_DEBUG: '1', NO_COLOR: '1' }),
    },
  );
  const elapsedMs = performance.now() - startedAt;
  expect(code, output).toBe(0);

  const report = readFileSync(reportFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ExampleReport);
  expect(report.map((r) => r.file).sort()).toEqual(['pages-1', 'pages-2', 'pages-3', 'pages-4']);
  const slots = [...new Set(report.map((r) => r.slot))].sort();
  expect(slots).toEqual([1, 2]);
  // Each slot its own http-server; every worker the same Python server.
  for (const slot of slots)
    expect(new Set(report.filter((r) => r.slot === slot).map((r) => r.ports.static)).size).toBe(1);
  expect(new Set(report.map((r) => r.ports.static)).size).toBe(2);
  expect(new Set(report.map((r) => r.ports.python)).size).toBe(1);

  // Nothing left behind.
  const pids = [...new Set(report.flatMap((r) => [...r.pids, r.pid]))];
  expect(await waitUntilGone(pids)).toEqual([]);
  expect(processesMentioning([join(exampleDir, 'public'), join(exampleDir, 'python-root')])).toEqual([]);
  const ports = [...new Set(report.flatMap((r) => Object.values(r.ports)))];
  expect((await Promise.all(ports.map(isListening))).filter(Boolean)).toEqual([]);
  expect(leftoverRunDirs(dir)).toEqual([]);
  expect(existsSync(report[0]!.stateFile)).toBe(false);

  // Figures for the notes (measured, not asserted).
  const runReady = /run-scoped servers ready in ([\d.]+) ms \(([^)]*)\)/.exec(output);
  const teardown = /teardown took ([\d.]+) ms/.exec(output);
  const started = [...output.matchAll(/started (\w+)@(\d+) pid=\d+ port=\d+ in ([\d.]+) ms/g)].map((m) => ({
    name: m[1]!,
    ms: Number(m[3]),
  }));
  const reused = [...output.matchAll(/reused (\w+)@(\d+)/g)].length;
  console.log(
    `[example] end to end ${elapsedMs.toFixed(0)} ms; run-scoped start ${runReady?.[1]} ms (${runReady?.[2]}); ` +
      `worker-scoped starts: ${started.map((s) => `${s.name} ${s.ms} ms`).join(', ')}; ` +
      `command starts saved by slot reuse: ${reused}; teardown ${teardown?.[1]} ms`,
  );
});
