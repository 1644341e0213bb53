#!/usr/bin/env node
// `npm run check:package`: packs the current build (dist/ as it is: run `npm run build` first) the way
// `npm publish` would, and checks the tarball with publint (package.json fields against the files it
// ships) and @arethetypeswrong/cli (every `exports` subpath resolves to types of the right module kind).
// Exits non-zero when either reports a problem.
//
// attw runs with `--profile node16`: it checks node16/nodenext (from ES modules and CommonJS) and
// bundler resolution, not node10. The package needs Node >= 20.19 (`engines`) and is reached through
// `exports` subpaths, which node10 resolution ignores; TypeScript 7 no longer has
// `moduleResolution: node10` (error TS5108 "has been removed").
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const packDir = mkdtempSync(join(tmpdir(), 'ephemeral-servers-check-package-'));

/** Runs `command` with the output shown and returns how long it took, in milliseconds. */
function timed(command, args) {
  const startedMs = performance.now();
  execFileSync(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return performance.now() - startedMs;
}

try {
  const packMs = timed('npm', ['pack', '--silent', '--pack-destination', packDir]);
  const tarball = join(
    packDir,
    readdirSync(packDir).find((file) => file.endsWith('.tgz')),
  );
  const publintMs = timed(bin('publint'), ['run', '--strict', tarball]);
  const attwMs = timed(bin('attw'), ['--profile', 'node16', '--format', 'table-flipped', '--no-color', tarball]);
  console.log(
    `check:package: npm pack ${packMs.toFixed(0)} ms, publint ${publintMs.toFixed(0)} ms, attw ${attwMs.toFixed(0)} ms`,
  );
} finally {
  rmSync(packDir, { recursive: true, force: true });
}
