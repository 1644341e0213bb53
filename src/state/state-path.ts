import { StateFileError } from '../errors.js';

/** Environment variable holding the path of the run's state file, set for every worker and child of a run. */
export const STATE_ENV = 'EPHEMERAL_SERVERS_STATE';

/**
 * `EPHEMERAL_SERVERS_STATE`, or `undefined` when it is unset or empty (an empty value, e.g. from
 * `EPHEMERAL_SERVERS_STATE= cmd` or a CI template, counts as unset everywhere: it is no path).
 *
 * @param env Environment to read. @default process.env
 */
export function readStateEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[STATE_ENV];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * The state file to use: `path` if given, else `$EPHEMERAL_SERVERS_STATE` (read from `env`).
 *
 * @param env Environment to read. @default process.env
 * @throws {@link StateFileError} `missing` when neither is set (an empty string counts as unset).
 */
export function resolveStatePath(path?: string, env: NodeJS.ProcessEnv = process.env): string {
  const resolved = path || readStateEnv(env);
  if (resolved) return resolved;
  throw new StateFileError(
    'missing',
    undefined,
    `No state file: ${STATE_ENV} is not set. Run the tests under the ephemeral-servers globalSetup ` +
      `(or \`ephemeral-servers run -- <command>\`), which sets it for every worker and child process, ` +
      `or set ${STATE_ENV} to the state.json of a running run.`,
  );
}
