import type { Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { StateFileError } from '../errors.js';
import { STATE_ENV } from './state-path.js';
import { STATE_VERSION, stateFileSchema, type StateFile } from './schema.js';

/** At most this many schema issues are spelled out in a message. */
const MAX_LISTED_ISSUES = 5;

/**
 * Parses and validates the text of a state file. The version is checked before the schema, so a file
 * from a newer ephemeral-servers is reported as such rather than as corrupt.
 *
 * @param path Path the text was read from, for messages.
 * @throws {@link StateFileError} `corrupt` (not JSON, or not the schema) or `version` (newer format).
 */
export function parseStateText(text: string, path: string): StateFile {
  return validateState(parseStateJson(text, path), path);
}

/**
 * First half of {@link parseStateText}: JSON and version only. The result is not validated.
 *
 * @throws {@link StateFileError} `corrupt` (not JSON) or `version` (newer format).
 */
function parseStateJson(text: string, path: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(path, `not valid JSON (${(error as Error).message})`, error);
  }
  if (typeof data === 'object' && data !== null && 'version' in data) {
    const { version } = data;
    if (typeof version === 'number' && version > STATE_VERSION) {
      throw new StateFileError(
        'version',
        path,
        `State file ${path} has format version ${version}: it was written by a newer ephemeral-servers ` +
          `(this one reads up to version ${STATE_VERSION}). Upgrade ephemeral-servers so every process of the run uses the same version.`,
      );
    }
  }
  return data;
}

/**
 * Second half of {@link parseStateText}: the schema.
 *
 * @throws {@link StateFileError} `corrupt`, naming the paths of the first mismatches.
 */
function validateState(data: unknown, path: string): StateFile {
  const result = stateFileSchema.safeParse(data);
  if (!result.success)
    throw corrupt(path, `it does not match the schema: ${formatSchemaIssues(result.error)}`, result.error);
  return result.data;
}

/**
 * Refuses a state file that belongs to another user: its content decides which processes get killed.
 * A no-op where `process.getuid` does not exist (Windows).
 *
 * @throws {@link StateFileError} `foreign`.
 */
export function assertOwnStateFile(stats: Stats, path: string): void {
  const uid = process.getuid?.();
  if (uid === undefined || stats.uid === uid) return;
  throw new StateFileError(
    'foreign',
    path,
    `State file ${path} belongs to another user (uid ${stats.uid}; this process runs as uid ${uid}): refusing to read it. ` +
      `Point ${STATE_ENV} at the state file of a run of your own.`,
  );
}

/**
 * Formats zod issues as `path: message`, e.g. `servers["api@0"].endpoint.port: Invalid input: expected number`.
 */
export function formatSchemaIssues(error: z.ZodError): string {
  const listed = error.issues
    .slice(0, MAX_LISTED_ISSUES)
    .map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
  const more = error.issues.length - listed.length;
  return listed.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, index) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (/^[A-Za-z_$][\w$]*$/.test(name)) return index === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join('');
}

function corrupt(path: string, detail: string, cause: unknown): StateFileError {
  return new StateFileError(
    'corrupt',
    path,
    `State file ${path} is corrupt: ${detail}. Delete its run directory (${dirname(path)}) or run \`ephemeral-servers prune\`.`,
    { cause },
  );
}
