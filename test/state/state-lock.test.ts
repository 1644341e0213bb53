import { once } from 'node:events';
import { mkdir, rm, rmdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { withStateLock } from '../../src/state/index.js';
import { createReclaimSafeLockFs } from '../../src/state/reclaim-safe-lock-fs.js';
import { lastJsonLine, runFixture, useFixtureCleanup } from './run-fixture.js';
import { useTempDirs } from './temp-dir.js';

const makeTempDir = useTempDirs();
useFixtureCleanup();

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Lets the clock move past the filesystem's timestamp granularity (a jiffy, at most 10 ms). A directory
 * is only judged stale or taken over after `staleMs` (2 s or more) without a change; this stands in for
 * that wait, so that directories created one after the other (and sharing a reused inode) differ in ctime.
 */
const letTimePass = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

/** A lock directory last refreshed a minute ago, as a dead holder leaves it. */
async function makeStaleLock(lockPath: string): Promise<void> {
  await mkdir(lockPath);
  const past = new Date(Date.now() - 60_000);
  await utimes(lockPath, past, past);
  await letTimePass();
}

describe('withStateLock', () => {
  it('runs one holder at a time and releases the lock directory', async () => {
    const file = join(await makeTempDir(), 'state.json');
    let active = 0;
    let maxActive = 0;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        withStateLock(file, async () => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          expect(await exists(`${file}.lock`)).toBe(true);
          await new Promise((resolve) => setImmediate(resolve));
          active -= 1;
          return index;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(maxActive).toBe(1);
    expect(await exists(`${file}.lock`)).toBe(false);
  });

  it('releases the lock when the function throws', async () => {
    const file = join(await makeTempDir(), 'state.json');
    await expect(
      withStateLock(file, () => {
        throw new Error('inside');
      }),
    ).rejects.toThrow('inside');
    expect(await exists(`${file}.lock`)).toBe(false);
    await expect(withStateLock(file, () => 'again')).resolves.toBe('again');
  });

  it('takes over a stale lock and says so', async () => {
    const file = join(await makeTempDir(), 'state.json');
    await makeStaleLock(`${file}.lock`);
    const reclaimed = await withStateLock(file, (lock) => lock.reclaimedStale, { staleMs: 2000 });
    expect(reclaimed).toBe(true);
    expect(await withStateLock(file, (lock) => lock.reclaimedStale)).toBe(false);
    expect(await exists(`${file}.lock.reclaim`)).toBe(false);
  });

  it('gives up after timeoutMs on a live lock with StateLockError, naming the lock', async () => {
    const file = join(await makeTempDir(), 'state.json');
    await mkdir(`${file}.lock`);
    const error = await withStateLock(file, () => 'never', { timeoutMs: 100 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'StateLockError', code: 'ES_STATE_LOCKED', lockPath: `${file}.lock` });
    expect(String(error)).toMatch(/within 100 ms.*held by another process/);
  });

  it('rejects invalid options with a RangeError naming them', async () => {
    const file = join(await makeTempDir(), 'state.json');
    await expect(withStateLock(file, () => 1, { staleMs: 1000 })).rejects.toThrow(/`staleMs` must be an integer of at least 2000, got 1000/);
    await expect(withStateLock(file, () => 1, { timeoutMs: -1 })).rejects.toThrow(/`timeoutMs`/);
  });

  it('aborts the signal and rejects when the lock is lost while held', async () => {
    const file = join(await makeTempDir(), 'state.json');
    const error = await withStateLock(
      file,
      async (lock) => {
        // Someone removes our lock; proper-lockfile's refresh (every 1000 ms at staleMs 2000) notices.
        await rmdir(`${file}.lock`);
        await once(lock.signal, 'abort');
        return 'finished anyway';
      },
      { staleMs: 2000 },
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ECOMPROMISED' });
  });

  it('leaves nothing that keeps the process alive', async () => {
    const file = join(await makeTempDir(), 'state.json');
    // Held for 1200 ms, so the unref'd refresh timer has fired and re-armed at least once.
    const holder = runFixture('state-lock-holder.ts', [file, '1200']);
    holder.child.stdin!.end();
    const { code, signal, stdout, stderr } = await holder.exited;
    expect(stderr).toBe('');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    const resources = lastJsonLine<string[]>(stdout);
    expect(resources).not.toContain('Timeout');
    expect(await exists(`${file}.lock`)).toBe(false);
  });
});

describe('reclaim of a stale lock (moxystudio/node-proper-lockfile#121)', () => {
  type LockFs = { stat(path: string, cb: (error: Error | null) => void): void; rmdir(path: string, cb: (error: Error | null) => void): void };
  const lockFsOf = (lockPath: string) => {
    const reclaimSafe = createReclaimSafeLockFs(lockPath, 2000);
    const fs = reclaimSafe.fs as LockFs;
    return { reclaimSafe, stat: promisify(fs.stat), rmdir: promisify(fs.rmdir) };
  };

  it('removes the stale directory it judged', async () => {
    const lockPath = join(await makeTempDir(), 'state.json.lock');
    await makeStaleLock(lockPath);
    const { reclaimSafe, stat: judge, rmdir: reclaim } = lockFsOf(lockPath);
    await judge(lockPath);
    await reclaim(lockPath);
    expect(await exists(lockPath)).toBe(false);
    expect(reclaimSafe.reclaimedStale).toBe(true);
  });

  it('does not remove a lock another waiter re-created after it was judged stale', async () => {
    const lockPath = join(await makeTempDir(), 'state.json.lock');
    await makeStaleLock(lockPath);
    const slow = lockFsOf(lockPath);
    await slow.stat(lockPath); // the slow waiter judges it stale…
    const fast = lockFsOf(lockPath); // …a faster one reclaims it and takes the lock…
    await fast.stat(lockPath);
    await fast.rmdir(lockPath);
    await mkdir(lockPath);
    // …and the slow waiter's reclaim must not remove the new, live lock (plain proper-lockfile would).
    await expect(slow.rmdir(lockPath)).rejects.toMatchObject({ code: 'ELOCKED' });
    expect(await exists(lockPath)).toBe(true);
    expect(slow.reclaimSafe.reclaimedStale).toBe(false);
  });

  it('waits while another waiter is reclaiming, and clears a marker its dead owner left', async () => {
    const lockPath = join(await makeTempDir(), 'state.json.lock');
    await makeStaleLock(lockPath);
    await mkdir(`${lockPath}.reclaim`);
    const waiter = lockFsOf(lockPath);
    await waiter.stat(lockPath);
    await expect(waiter.rmdir(lockPath)).rejects.toMatchObject({ code: 'ELOCKED' });
    expect(await exists(`${lockPath}.reclaim`)).toBe(true);

    const past = new Date(Date.now() - 60_000);
    await utimes(`${lockPath}.reclaim`, past, past);
    await expect(waiter.rmdir(lockPath)).rejects.toMatchObject({ code: 'ELOCKED' });
    expect(await exists(`${lockPath}.reclaim`)).toBe(false);
    await waiter.rmdir(lockPath);
    expect(await exists(lockPath)).toBe(false);
  });

  it('a holder whose lock was taken over does not remove its successor on release', async () => {
    const file = join(await makeTempDir(), 'state.json');
    const lockPath = `${file}.lock`;
    await withStateLock(file, async () => {
      await letTimePass();
      await rm(lockPath, { recursive: true });
      await mkdir(lockPath); // the successor's, quite likely on the inode ours just freed
    });
    expect(await exists(lockPath)).toBe(true);
  });
});
