import { ConfigError, PlatformUnsupportedError, ProcessTableError } from '../errors.js';
import type { PlatformBackend } from './platform-backend.js';
import { posixBackend } from './posix-backend.js';
import { checkPs } from './posix-processes.js';
import { procfsBackend } from './procfs-backend.js';
import { checkProcfs } from './procfs-processes.js';

/**
 * Environment variable that chooses the backend: `0` forces the posix backend (ps, lsof, sysctl) where
 * `/proc` would work, e.g. to test it on Linux; unset, empty or `1`: `/proc` when it works here, else
 * posix.
 */
export const PROCFS_ENV = 'EPHEMERAL_SERVERS_PROCFS';

let selected: PlatformBackend | ProcessTableError | undefined;

/**
 * Chooses a backend from what this system has, not from `process.platform`: procfs when
 * `/proc/self/stat` is readable and names this process, else posix when `ps` names this process.
 * `EPHEMERAL_SERVERS_PROCFS=0` skips procfs.
 *
 * @param setting the value of {@link PROCFS_ENV}.
 * @param platform `process.platform` (a parameter so that the Windows refusal can be tested on Linux).
 * @throws PlatformUnsupportedError on native Windows (`win32`), whatever it has.
 * @throws ConfigError (`ES_CONFIG_INVALID`) naming the variable and the accepted values when `setting`
 *   is not `0`, `1`, empty or unset.
 * @throws ProcessTableError when neither backend works here (no `/proc`, and `ps` missing or failing),
 *   with the reason of each.
 */
export function selectBackend(
  setting: string | undefined,
  platform: NodeJS.Platform = process.platform,
): PlatformBackend {
  if (platform === 'win32') throw new PlatformUnsupportedError(platform);
  if (setting !== undefined && setting !== '' && setting !== '0' && setting !== '1') {
    throw new ConfigError([
      {
        path: PROCFS_ENV,
        message:
          `environment variable ${PROCFS_ENV} is ${JSON.stringify(setting)}: accepted values are 0 (use ps, lsof and sysctl), ` +
          '1 (use /proc when it works), or empty or unset (the same as 1)',
      },
    ]);
  }
  const procfsProblem = setting === '0' ? `${PROCFS_ENV}=0` : checkProcfs();
  if (procfsProblem === undefined) return procfsBackend;
  const psProblem = checkPs();
  if (psProblem === undefined) return posixBackend;
  throw new ProcessTableError([`procfs: ${procfsProblem}`, `posix: ${psProblem}`]);
}

/**
 * The backend of this process, chosen once ({@link selectBackend} with `process.env.EPHEMERAL_SERVERS_PROCFS`
 * read at the first call) and kept; a failed choice is kept too, so every later call throws the same
 * error without spawning `ps` again.
 *
 * @throws PlatformUnsupportedError, ProcessTableError, ConfigError as {@link selectBackend}.
 */
export function platformBackend(): PlatformBackend {
  if (selected === undefined) {
    try {
      selected = selectBackend(process.env[PROCFS_ENV]);
    } catch (error) {
      if (!(error instanceof ProcessTableError)) throw error;
      selected = error;
    }
  }
  if (selected instanceof ProcessTableError) throw selected;
  return selected;
}
