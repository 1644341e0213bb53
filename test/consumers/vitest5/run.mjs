// Runs the sources of examples/vitest with this folder's Vitest 5 under this folder's Node 22 (the
// `node` npm package), in a temp copy whose node_modules links here. Fails unless the run passes and
// leaves no run directory behind. Usage, after the root build: npm ci && npm test
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const example = fileURLToPath(new URL('../../../examples/vitest/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'es-vitest5-'));
const runTmp = join(work, 'tmp');
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
  const leftovers = readdirSync(runTmp).filter((name) => name.startsWith('ephemeral-servers-run-'));
  if (leftovers.length > 0) {
    console.error(`vitest 5 check: run directories left behind: ${leftovers.join(', ')}`);
    process.exitCode = 1;
  }
  if (result.status !== 0) process.exitCode = result.status ?? 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
