import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

/** One entry per subpath export (see package.json `exports`), plus the CLI, the run supervisor and the Playwright webServer launcher, which are run as scripts. */
const entry = {
  index: 'src/index.ts',
  vitest: 'src/adapters/vitest/index.ts',
  'vitest-setup': 'src/adapters/vitest/setup.ts',
  jest: 'src/adapters/jest/index.ts',
  'jest-environment': 'src/adapters/jest/environment.ts',
  'jest-global-setup': 'src/adapters/jest/global-setup.ts',
  'jest-global-teardown': 'src/adapters/jest/global-teardown.ts',
  playwright: 'src/adapters/playwright/index.ts',
  'playwright-launcher': 'src/adapters/playwright/launcher.ts',
  supertest: 'src/adapters/supertest.ts',
  cli: 'src/cli/index.ts',
  supervisor: 'src/run/supervisor-main.ts',
};

const root = dirname(fileURLToPath(import.meta.url));
const distDir = join(root, 'dist');
/** Where copies of tsup's own injected files (its CommonJS `import.meta.url` shim) go, so that source maps can point at them. */
const TSUP_ASSETS = 'tsup-assets';

const isInside = (dir: string, path: string): boolean => path === dir || path.startsWith(dir + sep);

/**
 * The JavaScript files of dist/ that this build's entries load, directly or through other chunks
 * (`import`, `import()`, `require` of `./<file>.js|.cjs`).
 */
function reachableOutputs(): Set<string> {
  const reachable = new Set<string>();
  const pending = Object.keys(entry).flatMap((name) => [`${name}.js`, `${name}.cjs`]);
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (reachable.has(file)) continue;
    reachable.add(file);
    for (const match of readFileSync(join(distDir, file), 'utf8').matchAll(/["']\.\/([\w.-]+\.c?js)["']/g))
      pending.push(match[1]!);
  }
  return reachable;
}

/**
 * Makes a source map point only at files the package contains: `../src/…` stays; an absolute path into
 * dist/ (tsup's CommonJS code-splitting pass names its intermediate file so) becomes relative; tsup's
 * injected shim is copied to dist/tsup-assets/ and pointed at there; `file` loses the build machine's path.
 * @throws Error for any other source: the package would ship a map pointing outside itself.
 */
function fixSourceMap(mapFile: string): void {
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; file?: string };
  const sources = map.sources.map((source) => {
    const path = resolve(distDir, source);
    if (isInside(join(root, 'src'), path) || isInside(distDir, path)) return relative(distDir, path);
    if (isInside(join(root, 'node_modules', 'tsup', 'assets'), path)) {
      mkdirSync(join(distDir, TSUP_ASSETS), { recursive: true });
      copyFileSync(path, join(distDir, TSUP_ASSETS, basename(path)));
      return `${TSUP_ASSETS}/${basename(path)}`;
    }
    throw new Error(
      `${relative(root, mapFile)}: source ${source} is outside the package (add it to package.json \`files\`, or keep it out of the bundle)`,
    );
  });
  const file = map.file !== undefined && isAbsolute(map.file) ? basename(map.file) : map.file;
  if (JSON.stringify(sources) === JSON.stringify(map.sources) && file === map.file) return;
  writeFileSync(mapFile, JSON.stringify({ ...map, sources, file }));
}

/**
 * After the JavaScript build (the .d.ts build may still run): the CLI made executable (tsup sets the
 * mode only on create); every map of this build fixed by {@link fixSourceMap}; and dist/.npmignore
 * written with the JavaScript files (and maps) of earlier builds, which dist/ keeps (no clean, see
 * below) but the tarball must not ship.
 */
function afterBuild(): void {
  chmodSync(join(distDir, 'cli.js'), 0o755);
  const reachable = reachableOutputs();
  for (const file of reachable)
    if (existsSync(join(distDir, `${file}.map`))) fixSourceMap(join(distDir, `${file}.map`));
  const stale = readdirSync(distDir)
    .filter((file) => /\.c?js(\.map)?$/.test(file) && !reachable.has(file.replace(/\.map$/, '')))
    .sort();
  writeFileSync(
    join(distDir, '.npmignore'),
    `# Written by tsup.config.ts: outputs of earlier builds, kept for processes still running them, not shipped.\n${stale.map((file) => `/${file}\n`).join('')}`,
  );
}

/** Test runners and supertest stay external: they are the user's (optional peer dependencies). */
export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  // No clean: overwriting in place keeps dist/ usable by a test run while another build runs (what an
  // earlier build left is kept out of the tarball by dist/.npmignore, see afterBuild).
  clean: false,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  splitting: true,
  external: ['vitest', 'jest-environment-node', '@jest/environment', '@playwright/test', 'supertest'],
  shims: true,
  onSuccess: async () => afterBuild(),
});
