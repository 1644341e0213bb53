import * as fs from 'node:fs';

type Callback = (error: NodeJS.ErrnoException | null) => void;
type StatCallback = (error: NodeJS.ErrnoException | null, stats?: fs.Stats) => void;

/** The `fs` to hand to one `proper-lockfile` `lock()` call, and what it observed. */
export interface ReclaimSafeLockFs {
  /** Pass as `options.fs` to `proper-lockfile`'s `lock()`; one object per `lock()` call. */
  readonly fs: object;
  /** Whether this acquisition removed a stale lock (its holder died, or stopped refreshing it). */
  readonly reclaimedStale: boolean;
  /** Whether this acquisition found the lock held by someone else at least once. */
  readonly contended: boolean;
}

/**
 * An `fs` for `proper-lockfile` that makes the reclaim of a stale lock single-winner.
 *
 * `proper-lockfile` 4.1.2 reclaims a stale lock directory with `stat` (stale?) → `rmdir` → `mkdir`.
 * Two waiters that both saw the same stale directory can interleave so that the slower one's `rmdir`
 * removes the directory the faster one has just created, and both believe they hold the lock
 * (moxystudio/node-proper-lockfile#121). Here the `rmdir` of a lock this call does not hold runs
 * under a second mkdir lock, `<lockPath>.reclaim`, and only removes the directory if it is still the
 * very one that was judged stale (same inode, birth and change times); otherwise it fails with
 * `ELOCKED` and `proper-lockfile` retries. The release of a held lock likewise only removes the directory if it is
 * still the one this call created, so a holder whose lock was taken over cannot remove its successor's.
 *
 * Residual risk, documented rather than handled: a process killed in the microseconds between
 * creating `<lockPath>.reclaim` and removing it leaves a marker that is itself reclaimed after
 * `staleMs`, by the same stat → rmdir sequence (a race there needs a second crash at that moment).
 *
 * @param lockPath Absolute path of the lock directory (`<file>.lock`).
 * @param staleMs Age in milliseconds after which a leftover `.reclaim` marker is removed.
 */
export function createReclaimSafeLockFs(lockPath: string, staleMs: number): ReclaimSafeLockFs {
  const markerPath = `${lockPath}.reclaim`;
  /** Identity of the lock directory this call created, as of its last change by us, while we hold it. */
  let ownIdentity: string | undefined;
  /** Identity of the lock directory as last seen by `proper-lockfile`'s staleness check. */
  let judgedIdentity: string | undefined;
  let reclaimedStale = false;

  const elocked = (): NodeJS.ErrnoException =>
    Object.assign(new Error(`Lock ${lockPath} is already being held`), { code: 'ELOCKED' });

  /** Runs `operation` on the lock directory, then records its identity as ours. */
  function recordOwn(path: string, operation: (done: Callback) => void, callback: Callback): void {
    operation((error) => {
      if (error || path !== lockPath) return callback(error);
      fs.lstat(path, (statError, stats) => {
        if (statError) return callback(statError);
        ownIdentity = identityOf(stats);
        callback(null);
      });
    });
  }

  function mkdir(path: string, callback: Callback): void {
    recordOwn(path, (done) => fs.mkdir(path, done), callback);
  }

  /** `proper-lockfile` sets the mtime right after mkdir and on every refresh; that changes the ctime. */
  function utimes(path: string, atime: Date, mtime: Date, callback: Callback): void {
    recordOwn(path, (done) => fs.utimes(path, atime, mtime, done), callback);
  }

  function stat(path: string, callback: StatCallback): void {
    fs.stat(path, (error, stats) => {
      if (!error && path === lockPath && ownIdentity === undefined) judgedIdentity = identityOf(stats);
      callback(error, stats);
    });
  }

  function rmdir(path: string, callback: Callback): void {
    if (path !== lockPath) return fs.rmdir(path, callback);
    if (ownIdentity !== undefined) return releaseOwn(callback);
    reclaimStale(callback);
  }

  function releaseOwn(callback: Callback): void {
    fs.lstat(lockPath, (error, stats) => {
      if (error) return callback(error);
      if (identityOf(stats) !== ownIdentity) {
        // Taken over after we stopped refreshing it: it is someone else's now.
        ownIdentity = undefined;
        return callback(null);
      }
      fs.rmdir(lockPath, (rmdirError) => {
        if (!rmdirError) ownIdentity = undefined;
        callback(rmdirError);
      });
    });
  }

  function reclaimStale(callback: Callback): void {
    fs.mkdir(markerPath, (markerError) => {
      if (markerError?.code === 'EEXIST') return removeStaleMarker(callback);
      if (markerError) return callback(markerError);
      const finish = (error: NodeJS.ErrnoException | null): void => {
        fs.rmdir(markerPath, (rmdirError) => callback(error ?? (rmdirError?.code === 'ENOENT' ? null : rmdirError)));
      };
      fs.stat(lockPath, (statError, stats) => {
        // Gone already: nothing to remove, `proper-lockfile` goes on to mkdir (atomic).
        if (statError?.code === 'ENOENT') return finish(null);
        if (statError) return finish(statError);
        if (identityOf(stats) !== judgedIdentity) return finish(elocked());
        fs.rmdir(lockPath, (rmdirError) => {
          if (!rmdirError) reclaimedStale = true;
          finish(rmdirError?.code === 'ENOENT' ? null : rmdirError);
        });
      });
    });
  }

  function removeStaleMarker(callback: Callback): void {
    fs.stat(markerPath, (statError, stats) => {
      if (statError?.code === 'ENOENT') return callback(elocked());
      if (statError) return callback(statError);
      if (stats.mtimeMs >= Date.now() - staleMs) return callback(elocked());
      fs.rmdir(markerPath, (rmdirError) => callback(rmdirError && rmdirError.code !== 'ENOENT' ? rmdirError : elocked()));
    });
  }

  /** `proper-lockfile`'s exit handler removes held locks synchronously. */
  function rmdirSync(path: string): void {
    if (path === lockPath && ownIdentity !== undefined && identityOf(fs.lstatSync(path)) !== ownIdentity) return;
    fs.rmdirSync(path);
  }

  return {
    fs: { ...fs, mkdir, stat, rmdir, rmdirSync, utimes },
    get reclaimedStale() {
      return reclaimedStale;
    },
    get contended() {
      return judgedIdentity !== undefined;
    },
  };
}

/**
 * Which directory this is. Inode numbers are reused at once (ext4 hands a new directory the inode just
 * freed), so the change time is part of it: a lock is only judged stale, or taken over, after `staleMs`
 * without a change, so two directories sharing an inode differ in ctime by far more than its granularity.
 */
function identityOf(stats: fs.Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.birthtimeMs}:${stats.ctimeMs}`;
}
