// Shared by install.mjs and consumers.test.ts: the consumer-project convention (README.md) and packing.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
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
  if (!existsSync(join(packageRoot, 'dist', 'index.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
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
 * Takes a consumers lock, a flock(1) on a file of `test/consumers/`, held by a `flock` child until the
 * returned function is called (or this process dies: the child's stdin closes and flock lets go).
 * - `run` lock (`.harness.flock`): held `shared` by every test file that runs consumers (so the files
 *   of one session run them side by side) and `exclusive` by whatever swaps a consumer's
 *   `node_modules` (install.mjs, a refresh to another build), which waits until no session runs them.
 * - `refresh` lock (`.harness-refresh.flock`): exclusive, held only while deciding on and doing a
 *   refresh (see {@link useConsumers}).
 * Waits up to `waitMs` (default 10 minutes), then rejects.
 * @param {string} consumersDir
 * @param {{ lock?: 'run' | 'refresh', mode?: 'shared' | 'exclusive', waitMs?: number }} [options]
 * @returns {Promise<() => Promise<void>>} the release function.
 */
export async function lockConsumers(consumersDir, { lock = 'run', mode = 'exclusive', waitMs = 600_000 } = {}) {
  const file = join(consumersDir, lock === 'run' ? '.harness.flock' : '.harness-refresh.flock');
  const holder = spawn(
    'flock',
    [
      mode === 'shared' ? '-s' : '-x',
      '-w',
      String(Math.ceil(waitMs / 1000)),
      file,
      '-c',
      'echo locked; exec cat >/dev/null',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  await new Promise((resolve, reject) => {
    holder.stdout.once('data', resolve);
    holder.once('error', reject);
    void exited.then((code) => reject(new Error(`flock ${mode} ${file}: exit ${code} (waited ${waitMs} ms?)`)));
  });
  return async () => {
    holder.stdin.end();
    await exited;
  };
}

/**
 * What a test file that runs consumers calls first: packs the build, refreshes every consumer whose
 * installed copy is of another tarball (under the `refresh` lock, and the `run` lock exclusive, so no
 * session's runners see node_modules change), then holds the `run` lock shared until `release`. All
 * consumers are refreshed at once, so a second file of the same session finds nothing to refresh and
 * runs beside the first instead of waiting for it.
 * @param {{ name: string, dir: string }[]} consumers every consumer (findConsumers)
 * @param {string} workDir an empty directory of the caller's
 * @returns {Promise<{ packedDir: string, release: () => Promise<void> }>}
 */
export async function useConsumers(consumers, workDir) {
  const releaseRefresh = await lockConsumers(consumersDir(consumers), { lock: 'refresh' });
  try {
    const integrity = (await packPackageOnce()).integrity;
    if (consumers.some((consumer) => installedIntegrity(consumer.dir) !== integrity)) {
      // Exclusive, then shared (flock would not grant the shared lock while the exclusive one is held);
      // the refresh lock keeps any other refresh out in between.
      const releaseRun = await lockConsumers(consumersDir(consumers));
      let packedDir;
      try {
        packedDir = await refreshConsumers(consumers, workDir);
      } finally {
        await releaseRun();
      }
      return { packedDir, release: await sharedRunLock(consumers) };
    }
    const release = await sharedRunLock(consumers);
    return { packedDir: await refreshConsumers(consumers, workDir), release };
  } finally {
    await releaseRefresh();
  }
}

/** The directory holding the consumers (they are its subdirectories). */
const consumersDir = (consumers) => dirname(consumers[0].dir);
const sharedRunLock = (consumers) => lockConsumers(consumersDir(consumers), { mode: 'shared' });

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

const INSTALL_HINT = 'run `node test/consumers/install.mjs` first (after `npm run build`)';

/**
 * Packs the current build into `workDir` and unpacks it over each consumer's installed copy whose
 * tarball differs (its dependencies must not have changed since the install: they are not reinstalled
 * here). Called by {@link useConsumers}, under its locks.
 * @returns {Promise<string>} the package as the tarball ships it (`<workDir>/unpacked/package`).
 */
export async function refreshConsumers(consumers, workDir) {
  const packed = await packPackageOnce();
  const unpacked = join(workDir, 'unpacked');
  mkdirSync(unpacked);
  await run('tar', ['-xzf', packed.path, '-C', unpacked]);
  const packedDir = join(unpacked, 'package');
  const fresh = JSON.parse(readFileSync(join(packedDir, 'package.json'), 'utf8'));
  for (const consumer of consumers) {
    const installedDir = join(consumer.dir, 'node_modules', 'ephemeral-servers');
    if (!existsSync(join(installedDir, 'package.json')))
      throw new Error(`consumer ${consumer.name} is not installed: ${INSTALL_HINT}`);
    if (installedIntegrity(consumer.dir) === packed.integrity) continue;
    const installed = JSON.parse(readFileSync(join(installedDir, 'package.json'), 'utf8'));
    if (JSON.stringify(installed.dependencies) !== JSON.stringify(fresh.dependencies)) {
      throw new Error(
        `consumer ${consumer.name} was installed with other dependencies of ephemeral-servers: ${INSTALL_HINT}`,
      );
    }
    rmSync(installedDir, { recursive: true, force: true });
    await cp(packedDir, installedDir, { recursive: true });
    markInstalled(consumer.dir, packed.integrity);
  }
  return packedDir;
}

/** A hash of what `npm pack` puts in the tarball: package.json and its `files` (contents and paths). */
function packageFingerprint() {
  const hash = createHash('sha256');
  const walk = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return;
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name));
      return;
    }
    hash.update(`${relative(packageRoot, path)}\0`);
    hash.update(readFileSync(path));
    hash.update('\0');
  };
  const { files = [] } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
  for (const entry of ['package.json', ...files]) walk(join(packageRoot, entry));
  return hash.digest('hex').slice(0, 20);
}

/**
 * {@link packPackage}, once per content of the package: the tarball of the same files is reused
 * (`test/consumers/.pack/by-content/<hash>/`), so the suite's test files that run consumers pack once
 * between them (`npm pack` takes 3-10 s here). Only the latest tarball is kept.
 * @returns {Promise<{ path: string, integrity: string }>}
 */
export async function packPackageOnce() {
  const cacheRoot = join(packageRoot, 'test', 'consumers', '.pack', 'by-content');
  const fingerprint = packageFingerprint();
  const recordPath = join(cacheRoot, fingerprint, 'packed.json');
  if (existsSync(recordPath)) {
    const record = JSON.parse(readFileSync(recordPath, 'utf8'));
    if (existsSync(record.path)) return record;
  }
  rmSync(cacheRoot, { recursive: true, force: true });
  const packed = await packPackage(join(cacheRoot, fingerprint));
  // Packed under the build lock: if a build changed the files meanwhile, the tarball is not this hash's.
  if (packageFingerprint() === fingerprint) writeFileSync(recordPath, JSON.stringify(packed));
  return packed;
}
