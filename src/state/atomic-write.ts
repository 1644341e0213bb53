import { closeSync, fchmodSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** Mode of every file this package writes: owner read and write only. */
const FILE_MODE = 0o600;

let counter = 0;

/**
 * Writes `data` to `path` so that a reader sees either the old content or the new one, never a mix:
 * a temp file next to it (`<path>.<pid>.<counter>`, mode 0600 set with `fchmod`, so whatever the umask)
 * is written, then renamed over `path` (rename(2) is atomic within a directory); the temp file is
 * removed if anything fails. No fsync: the state file describes processes that a machine crash ends
 * anyway (see docs/architecture.md, "Durability"). Synchronous on purpose: the supervisor, its only
 * caller for the state file, has nothing else to do meanwhile, and a small write costs tens of
 * microseconds.
 *
 * @throws The underlying `fs` error (e.g. `ENOENT` when the directory does not exist, `EACCES`).
 */
export function writeFileAtomicSync(path: string, data: string): void {
  const temp = `${path}.${process.pid}.${counter++}`;
  try {
    const fd = openSync(temp, 'wx', FILE_MODE);
    try {
      fchmodSync(fd, FILE_MODE);
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
