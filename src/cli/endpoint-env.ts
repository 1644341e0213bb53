import type { Endpoint } from '../endpoint.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { JOIN_ENV } from '../lifecycle/start-run.js';
import { STATE_ENV } from '../state/index.js';

/**
 * Prefix of a server's environment variables: its name upper-cased, every character other than
 * `A-Z`, `0-9` and `_` replaced by `_`, and a leading `_` added when it would start with a digit
 * (POSIX names cannot).
 *
 * @example envPrefixOf('my-api') === 'MY_API'; envPrefixOf('2fa') === '_2FA'
 */
export function envPrefixOf(name: string): string {
  const prefix = name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[0-9]/.test(prefix) ? `_${prefix}` : prefix;
}

/**
 * Environment variables describing running servers: `EPHEMERAL_SERVERS_STATE`, the invitation to join
 * that run (`EPHEMERAL_SERVERS_JOIN`, the same path: a test runner's global setup joins the run instead
 * of starting the servers again, see `startRun`), and per server `<NAME>_URL`, `<NAME>_HOST`,
 * `<NAME>_PORT` (see {@link envPrefixOf}).
 *
 * @throws ConfigError when two server names map to the same prefix (`my-api` and `my_api`), naming both
 *   (every such pair listed).
 */
export function endpointEnv(stateFile: string, endpoints: Readonly<Record<string, Endpoint>>): Record<string, string> {
  const env: Record<string, string> = { [STATE_ENV]: stateFile, [JOIN_ENV]: stateFile };
  const owners = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const [name, endpoint] of Object.entries(endpoints)) {
    const prefix = envPrefixOf(name);
    const other = owners.get(prefix);
    if (other !== undefined) {
      issues.push({
        server: name,
        path: '',
        message: `maps to the environment prefix ${prefix}_ (${prefix}_URL, …) of \`ephemeral-servers run\`, as server "${other}" does: rename one of them`,
      });
      continue;
    }
    owners.set(prefix, name);
    env[`${prefix}_URL`] = endpoint.url;
    env[`${prefix}_HOST`] = endpoint.host;
    env[`${prefix}_PORT`] = String(endpoint.port);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return env;
}

/**
 * Checks up front that no two server names share an environment prefix, so `run` fails before it
 * starts anything.
 * @throws ConfigError as {@link endpointEnv} does.
 */
export function checkEnvPrefixes(names: readonly string[]): void {
  endpointEnv('', Object.fromEntries(names.map((name) => [name, { name, slot: 0, host: '', port: 0, url: '' }])));
}
