import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { StateFileError } from '../errors.js';
import { assertOwnStateFile, parseStateText } from './parse-state.js';
import { STATE_ENV, resolveStatePath } from './state-path.js';
import type { StateEntry, StateFile } from './schema.js';

/**
 * Reads and validates a state file, without any lock: the supervisor, its only writer, replaces it by an
 * atomic rename, so a read sees one whole version.
 *
 * @param path The state file. @default process.env.EPHEMERAL_SERVERS_STATE
 * @throws {@link StateFileError} `missing` (no path, or no file), `foreign` (owned by another user),
 *   `corrupt` (not JSON or not the schema), `version` (written by a newer ephemeral-servers).
 */
export async function readState(path?: string): Promise<StateFile> {
  const file = resolveStatePath(path);
  return parseStateText(await readStateText(file), file);
}

/**
 * The raw text of a state file, after checking it exists and belongs to this user. Internal to
 * `src/state`.
 *
 * @throws {@link StateFileError} `missing` or `foreign`.
 */
export async function readStateText(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw missingOrRethrow(error, file);
  }
  try {
    assertOwnStateFile(await handle.stat(), file);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Synchronous {@link readState}, for exit handlers and synchronous config code. Same errors. */
export function readStateSync(path?: string): StateFile {
  const file = resolveStatePath(path);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw missingOrRethrow(error, file);
  }
  try {
    assertOwnStateFile(fstatSync(fd), file);
    return parseStateText(readFileSync(fd, 'utf8'), file);
  } finally {
    closeSync(fd);
  }
}

/** Every server entry of a state, sorted by name, then slot. */
export function listEntries(state: StateFile): StateEntry[] {
  return Object.values(state.servers).sort((a, b) => (a.name === b.name ? a.slot - b.slot : a.name < b.name ? -1 : 1));
}

function missingOrRethrow(error: unknown, path: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ENOENT' && code !== 'ENOTDIR') return error;
  return new StateFileError(
    'missing',
    path,
    `State file ${path} does not exist: the run that created it has ended, or the path is wrong. ` +
      `Run the tests under the ephemeral-servers globalSetup (or \`ephemeral-servers run -- <command>\`), ` +
      `or set ${STATE_ENV} to the state.json of a running run.`,
    { cause: error },
  );
}
