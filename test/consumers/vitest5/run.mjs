// Runs the sources of examples/vitest with this folder's Vitest 5 under this folder's Node 22 (the
// `node` npm package), in a temp copy whose node_modules links here; then the projects layouts of
// test/consumers/vitest-modes (the global setup in each project, and inherited with `extends: true`),
// which must make one run: the run-scoped `shared` starts once (docs/runner-modes.md). Fails unless
// every run passes and leaves no run directory behind. Usage, after the root build: npm ci && npm test
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const example = fileURLToPath(new URL('../../../examples/vitest/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'es-vitest5-'));
const runTmp = join(work, 'tmp');
/** Fails the check when a run directory is left in the runs' TMPDIR. */
function checkLeftovers(what) {
  const leftovers = readdirSync(runTmp).filter((name) => name.startsWith('ephemeral-servers-run-'));
  if (leftovers.length > 0) {
    console.error(`vitest 5 check (${what}): run directories left behind: ${leftovers.join(', ')}`);
    process.exitCode = 1;
  }
}

try {
  cpSync(example, join(work, 'project'), {
    recursive: true,
    filter: (source) => !/[\\/](node_modules|package(-lock)?\.json)$/.test(source),
  });
  mkdirSync(runTmp);
  symlinkSync(join(here, 'node_modules'), join(work, 'project', 'node_modules'), 'dir');
  const node22 = join(here, 'node_modules', 'node', 'bin', 'node');
  const version = spawnSync(node22, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`vitest 5 check: node ${version}, project copy in ${join(work, 'project')}`);
  const result = spawnSync(node22, [join(here, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], {
    cwd: join(work, 'project'),
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: runTmp, EPHEMERAL_SERVERS_STATE: '', EPHEMERAL_SERVERS_DEBUG: '1' },
  });
  checkLeftovers('examples/vitest');
  if (result.status !== 0) process.exitCode = result.status ?? 1;

  // The projects layouts, in a copy of vitest-modes next to the contract it imports.
  const consumers = join(here, '..');
  const modes = join(work, 'consumers', 'vitest-modes');
  cpSync(join(consumers, 'contract'), join(work, 'consumers', 'contract'), { recursive: true });
  cpSync(join(consumers, 'vitest-modes'), modes, {
    recursive: true,
    filter: (source) => !/[\\/]node_modules$/.test(source),
  });
  symlinkSync(join(here, 'node_modules'), join(modes, 'node_modules'), 'dir');
  for (const layout of ['each', 'extends']) {
    const reportDir = mkdtempSync(join(work, `reports-${layout}-`));
    const startedAt = performance.now();
    const run = spawnSync(
      node22,
      [join(here, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '-c', `vitest.${layout}.config.mjs`],
      {
        cwd: modes,
        stdio: 'inherit',
        env: {
          ...process.env,
          TMPDIR: runTmp,
          EPHEMERAL_SERVERS_STATE: '',
          ES_CONTRACT_REPORT_DIR: reportDir,
          ES_CONTRACT_MIN_SLOTS: '2',
        },
      },
    );
    const startsLog = join(reportDir, 'starts.log');
    const shared = existsSync(startsLog)
      ? readFileSync(startsLog, 'utf8')
          .split('\n')
          .filter((line) => line.startsWith('shared ')).length
      : 0;
    console.log(
      `vitest 5 check: projects, setup ${layout === 'each' ? 'in each project' : 'inherited (extends: true)'}: exit ${run.status} in ${Math.round(performance.now() - startedAt)} ms; shared started ${shared} time(s)`,
    );
    if (run.status !== 0 || shared !== 1) process.exitCode = 1;
    checkLeftovers(`projects ${layout}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
