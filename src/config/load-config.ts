import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createJiti, type Jiti } from 'jiti';
import { ConfigError } from '../errors.js';
import { CONFIG_ENV } from './config-env.js';
import type { ServersConfig } from './types.js';

/** File names looked up, in order, when no config path is given. */
export const CONFIG_FILE_NAMES = [
  'servers.config.ts',
  'servers.config.mts',
  'servers.config.cts',
  'servers.config.js',
  'servers.config.mjs',
  'servers.config.cjs',
] as const;

export { CONFIG_ENV };

/** A loaded config and where it came from. */
export interface LoadedConfig {
  config: ServersConfig;
  /** Absolute path of the file. */
  path: string;
}

/**
 * Finds the servers config file: `file` (relative to `cwd`) when given, else the first of
 * {@link CONFIG_FILE_NAMES} in `cwd`. Returns `undefined` when none exists and no `file` was given.
 * @throws ConfigError when `file` is given but does not exist.
 */
export function findConfigFile(options: { file?: string; cwd?: string } = {}): string | undefined {
  const cwd = options.cwd ?? process.cwd();
  if (options.file !== undefined) {
    const path = isAbsolute(options.file) ? options.file : resolve(cwd, options.file);
    if (!existsSync(path))
      throw new ConfigError([{ path: '', message: `config file ${path} does not exist. Check the path you passed.` }]);
    return path;
  }
  return CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
}

/**
 * The servers config file of a runner whose root directory is `root` (see {@link CONFIG_ENV}): `file`
 * (a `configFile` option), else `$EPHEMERAL_SERVERS_CONFIG`, else the first of {@link CONFIG_FILE_NAMES}
 * in `root`; a relative path is resolved against `root`. Empty strings count as unset.
 *
 * @param env Environment to read. @default process.env
 * @returns An absolute path, or `undefined` when nothing was given and `root` holds no config file
 *   (`loadServersConfig` then throws a `ConfigError` naming where it looked).
 * @throws ConfigError when a given path does not exist.
 */
export function resolveConfigFile(
  root: string,
  file?: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return findConfigFile({ file: file || env[CONFIG_ENV] || undefined, cwd: root });
}

/**
 * The file's default export (or `module.exports`), as the file is now. jiti hands `.mjs` and `.cjs`
 * files to Node's own `import` and `require`, whose caches `moduleCache: false` does not reach: a second
 * load in the same process (watch mode: Jest runs its global setup again in the same process) would
 * return the first version. Those are evaluated from their source by jiti instead (`evalModule`, which
 * caches nothing); what they import is loaded as jiti loads it.
 */
async function importFresh(jiti: Jiti, path: string): Promise<unknown> {
  if (!/\.[cm]js$/.test(path)) return jiti.import(path, { default: true });
  const module = await jiti.evalModule(readFileSync(path, 'utf8'), {
    filename: path,
    async: true,
    forceTranspile: true,
  });
  return (module as { default?: unknown } | undefined)?.default ?? module;
}

/**
 * Loads a servers config file (TypeScript or JavaScript, ESM or CommonJS: TypeScript is compiled on the
 * fly by jiti, so it works from plain Node, Jest and the CLI alike). The file's default export (or
 * `module.exports`) is the config, as built by `defineServers`; a function export is called and may
 * be async.
 *
 * @throws ConfigError when no file is found (naming where it looked), when the file fails to load
 *   (with the cause), or when it exports no object.
 */
export async function loadServersConfig(options: { file?: string; cwd?: string } = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const path = findConfigFile(options);
  if (path === undefined) {
    throw new ConfigError([
      {
        path: '',
        message: `no servers config found in ${cwd} (looked for ${CONFIG_FILE_NAMES.join(', ')}). Create servers.config.ts exporting defineServers({...}) as default, or pass its path.`,
      },
    ]);
  }
  const jiti = createJiti(pathToFileURL(cwd + '/').href, { moduleCache: false, fsCache: false, interopDefault: true });
  let loaded: unknown;
  try {
    loaded = await importFresh(jiti, path);
  } catch (error) {
    const wrapped = new ConfigError([{ path: '', message: `could not load ${path}: ${(error as Error).message}` }]);
    (wrapped as { cause?: unknown }).cause = error;
    throw wrapped;
  }
  if (typeof loaded === 'function') loaded = await (loaded as () => unknown)();
  if (typeof loaded !== 'object' || loaded === null) {
    throw new ConfigError([
      {
        path: '',
        message: `${path} must export a servers config object as its default export (e.g. \`export default defineServers({...})\`).`,
      },
    ]);
  }
  return { config: loaded as ServersConfig, path };
}
