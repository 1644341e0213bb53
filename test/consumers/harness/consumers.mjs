// Shared by install.mjs and consumers.test.ts: the consumer-project convention (README.md) and packing.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root (the package being tested). */
export const packageRoot = resolve(fileURLToPath(import.meta.url), '../../../..');

/** Lock held by builds (`flock /tmp/es-build.lock npm run build`): pack under it so dist/ is whole. */
const BUILD_LOCK = '/tmp/es-build.lock';

/**
 * Every consumer project: a directory of test/consumers holding a package.json with an
 * `ephemeralServersConsumer` field, sorted by name.
 * @returns {{ name: string, dir: string, packageJson: any, runs: { script: string, contract?: object }[], runners: string[] }[]}
 */
export function findConsumers(consumersDir) {
  return readdirSync(consumersDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(consumersDir, entry.name, 'package.json')))
    .map((entry) => {
      const dir = join(consumersDir, entry.name);
      const packageJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return { name: entry.name, dir, packageJson, consumer: packageJson.ephemeralServersConsumer };
    })
    .filter(({ consumer }) => consumer !== undefined)
    .map(({ name, dir, packageJson, consumer }) => {
      if (!Array.isArray(consumer.runs) || consumer.runs.length === 0) {
        throw new TypeError(`${name}/package.json: \`ephemeralServersConsumer.runs\` must be a non-empty array`);
      }
      for (const runEntry of consumer.runs) {
        if (typeof packageJson.scripts?.[runEntry.script] !== 'string') {
          throw new TypeError(`${name}/package.json: run script \`${runEntry.script}\` is not in \`scripts\``);
        }
      }
      return { name, dir, packageJson, runs: consumer.runs, runners: consumer.runners ?? [] };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `npm pack`s the package into `destination` (under the build lock when `flock` exists).
 * @returns {Promise<{ path: string, integrity: string }>} the tarball's absolute path and its integrity (sha512).
 */
export async function packPackage(destination) {
  mkdirSync(destination, { recursive: true });
  if (!existsSync(join(packageRoot, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const npmArgs = ['pack', '--json', '--pack-destination', destination];
  const hasFlock = await run('flock', ['--version']).then(
    () => true,
    () => false,
  );
  const { stdout } = hasFlock
    ? await run('flock', [BUILD_LOCK, 'npm', ...npmArgs], { cwd: packageRoot })
    : await run('npm', npmArgs, { cwd: packageRoot });
  const [packed] = JSON.parse(stdout);
  return { path: join(destination, packed.filename), integrity: packed.integrity };
}

/**
 * Takes the consumers lock (`test/consumers/.harness.lock`, a proper-lockfile directory refreshed
 * while held, stale after 30 s): installing or refreshing a consumer's `node_modules` while another
 * session runs that consumer's tests breaks them. Waits up to `waitMs` (default 10 minutes).
 * @returns the release function.
 */
export async function lockConsumers(consumersDir, waitMs = 600_000) {
  const { lock } = (await import('proper-lockfile')).default;
  const intervalMs = 500;
  return lock(consumersDir, {
    lockfilePath: join(consumersDir, '.harness.lock'),
    stale: 30_000,
    retries: { retries: Math.ceil(waitMs / intervalMs), factor: 1, minTimeout: intervalMs, maxTimeout: intervalMs },
  });
}

/** File in a consumer's installed copy naming the integrity of the tarball it came from. */
const INSTALLED_MARKER = '.installed-from-tarball';

/** Records which tarball a consumer's `node_modules/ephemeral-servers` holds. */
export function markInstalled(consumerDir, integrity) {
  writeFileSync(join(consumerDir, 'node_modules', 'ephemeral-servers', INSTALLED_MARKER), integrity + '\n');
}

/** The integrity recorded by {@link markInstalled}, or `undefined`. */
export function installedIntegrity(consumerDir) {
  const path = join(consumerDir, 'node_modules', 'ephemeral-servers', INSTALLED_MARKER);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}
