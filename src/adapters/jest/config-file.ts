import { isAbsolute, resolve } from 'node:path';
import { findConfigFile } from '../../config/load-config.js';
import { CONFIG_ENV } from './constants.js';

/**
 * The servers config file to load: `explicit` (from `createGlobalSetup({ configFile })`), else
 * `$EPHEMERAL_SERVERS_CONFIG`, else the first `servers.config.*` in `rootDir`. Relative paths are
 * resolved against `rootDir`.
 *
 * @returns An absolute path, or `undefined` when nothing was given and `rootDir` holds no config file
 *   (`loadServersConfig` then throws a `ConfigError` naming where it looked).
 * @throws ConfigError when a given path does not exist.
 */
export function resolveConfigFile(rootDir: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = explicit || env[CONFIG_ENV] || undefined;
  if (given === undefined) return findConfigFile({ cwd: rootDir });
  return findConfigFile({ file: isAbsolute(given) ? given : resolve(rootDir, given), cwd: rootDir });
}
