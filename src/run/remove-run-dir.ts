import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { keepRunLogs } from '../logs/kept-logs.js';

/**
 * Removes a run directory even while other processes of the run may still write into it (a worker
 * writing a log line): the directory is first renamed away
 * (`<runDir>.removing-<pid>`, atomic), so every later write through the old path fails with `ENOENT`
 * instead of re-filling the directory while it is being emptied; then the renamed copy is removed. A
 * plain recursive `rm` can fail with `ENOTEMPTY` in that race.
 *
 * First, the logs that must outlive the run are copied out (`keepRunLogs`: every log after a failed
 * test, and the final version of each log an error named). A directory that is already gone is not an error.
 *
 * @throws The `fs` error other than `ENOENT`.
 */
export async function removeRunDirectory(runDir: string): Promise<void> {
  keepRunLogs(join(runDir, 'logs'));
  const doomed = `${runDir}.removing-${process.pid}`;
  try {
    await rename(runDir, doomed);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await rm(doomed, { recursive: true, force: true, maxRetries: 3 });
}
