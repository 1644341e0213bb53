import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import writeFileAtomicPackage from 'write-file-atomic';

/** Mode of every file this package writes: owner read and write only. */
const FILE_MODE = 0o600;

/**
 * Writes `data` to `path` so that a reader sees either the old content or the new one, never a mix,
 * and the new content survives a crash once the promise resolves: write-file-atomic writes a temp
 * file in the same directory (named `<path>.<uint32>`), fsyncs it and renames it over `path`; then the
 * directory is fsynced so the rename itself is durable.
 *
 * The file gets mode `0o600` whatever the umask or the mode of the file it replaces. Concurrent calls
 * for the same path in one process are serialised by write-file-atomic; across processes, hold the
 * state lock (see `withStateLock`).
 *
 * @throws The underlying `fs` error (e.g. `ENOENT` when the directory does not exist, `EACCES`).
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await writeFileAtomicPackage(path, data, { mode: FILE_MODE, encoding: 'utf8' });
  await fsyncDirectory(dirname(path));
}

/**
 * Synchronous {@link writeFileAtomic}, for exit handlers that cannot await.
 *
 * @throws The underlying `fs` error.
 */
export function writeFileAtomicSync(path: string, data: string): void {
  writeFileAtomicPackage.sync(path, data, { mode: FILE_MODE, encoding: 'utf8' });
  const fd = openSync(dirname(path), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Removes the temp files that {@link writeFileAtomic} left next to `path` when its process was killed
 * between creating the temp file and renaming it (`<path>.<digits>`). They are harmless to readers,
 * who only open `path`, but they pile up in the run directory.
 *
 * Only call it while no other write of `path` can be in flight, i.e. holding the state lock: a temp
 * file of a live writer looks exactly like a leftover.
 *
 * @returns How many files were removed.
 * @throws The underlying `fs` error, except `ENOENT` for a file that is already gone.
 */
export async function removeAtomicWriteLeftovers(path: string): Promise<number> {
  const prefix = `${basename(path)}.`;
  const directory = dirname(path);
  let removed = 0;
  for (const name of await readdir(directory)) {
    if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) continue;
    try {
      await unlink(join(directory, name));
      removed += 1;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}

async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
