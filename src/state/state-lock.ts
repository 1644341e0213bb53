import { StateLockError } from '../errors.js';
import { resolve } from 'node:path';
import properLockfile from 'proper-lockfile';
import { createReclaimSafeLockFs } from './reclaim-safe-lock-fs.js';

/** Longest pause between two attempts to take a busy lock, in milliseconds. */
const MAX_RETRY_INTERVAL_MS = 25;
/** Attempts before the interval reaches {@link MAX_RETRY_INTERVAL_MS} (1 ms × 1.5^8 ≥ 25 ms). */
const RAMP_UP_ATTEMPTS = 8;
/** `proper-lockfile` silently raises a lower `stale` to this value; we reject it instead. */
const MIN_STALE_MS = 2000;
/**
 * Longest pause before taking the lock again right after releasing it under contention, in
 * milliseconds. Waiters poll every 25 ms, so with several of them one usually polls within 8 ms.
 * Measured with 16 processes × 100 updates: without the pause, one process kept the lock for up to
 * 16 cycles in a row and the slowest update waited up to 7.3 s; with it, at most 5-8 cycles and 3.5 s,
 * at the same throughput (a 25 ms pause cost 25 % of it).
 */
const BARGE_PAUSE_MAX_MS = 8;
/** How long after finding the lock busy this process assumes others still want it, in milliseconds. */
const CONTENTION_MEMORY_MS = 1000;

/** Per resolved path, the end of this process's queue of holders. */
const queues = new Map<string, Promise<void>>();
/** Per resolved path, this process's last release and last acquisition that found the lock busy (`performance.now()`). */
const history = new Map<string, { releasedAt: number; contendedAt: number }>();

/** Options of {@link withStateLock}. */
export interface StateLockOptions {
  /**
   * Age in milliseconds after which a lock whose holder stopped refreshing it (it died, or its event
   * loop was blocked that long) is taken over. The holder refreshes it every `max(staleMs / 2, 1000)` ms.
   * At least 2000 (`proper-lockfile`'s minimum).
   * @default 10000
   */
  staleMs?: number;
  /**
   * How long to keep retrying a lock held by another process, in milliseconds, before giving up.
   * Time spent queued behind other holders in this same process is not counted.
   * @default 30000
   */
  timeoutMs?: number;
}

/** What the function run under {@link withStateLock} gets. */
export interface HeldStateLock {
  /**
   * Aborted (with an `ECOMPROMISED` error as reason) when the lock is found to be lost while held,
   * e.g. taken over because this process's event loop was blocked for more than `staleMs`. Check it
   * right before committing a write.
   */
  readonly signal: AbortSignal;
  /** Whether a stale lock left by a dead holder was removed to take this one: its writes may have left debris. */
  readonly reclaimedStale: boolean;
}

/**
 * Runs `fn` while holding the cross-process lock of `path` (a `proper-lockfile` directory,
 * `<path>.lock`), and releases it in `finally`. `path` itself need not exist.
 *
 * Calls for the same path in one process queue up first, so each process has at most one waiter
 * polling the lock. Waiting polls every 1 to 25 ms (randomised exponential backoff) until
 * `timeoutMs`. A process that takes the lock again within 25 ms of releasing it, while there is
 * contention (it found the lock busy in the last second), first pauses a random 0 to 8 ms: otherwise
 * it would win nearly every time against waiters asleep between polls, and could starve them.
 *
 * Nothing here keeps the process alive once `fn` settles: `proper-lockfile`'s refresh timer is
 * `unref()`'d and cleared on release; only the timers of a pending acquisition are active, while the
 * caller is awaiting it.
 *
 * @throws `RangeError` for an invalid `staleMs` or `timeoutMs`.
 * @throws StateLockError (`ES_STATE_LOCKED`) when the lock could not be taken within `timeoutMs`.
 * @throws The reason of {@link HeldStateLock.signal} when the lock was lost while `fn` ran (after `fn` settled).
 * @throws Whatever `fn` throws.
 */
export async function withStateLock<T>(
  path: string,
  fn: (lock: HeldStateLock) => T | Promise<T>,
  options: StateLockOptions = {},
): Promise<T> {
  const staleMs = options.staleMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!Number.isInteger(staleMs) || staleMs < MIN_STALE_MS) {
    throw new RangeError(`\`staleMs\` must be an integer of at least ${MIN_STALE_MS}, got ${String(staleMs)}`);
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(`\`timeoutMs\` must be a non-negative integer, got ${String(timeoutMs)}`);
  }

  const file = resolve(path);
  const previous = queues.get(file) ?? Promise.resolve();
  let endTurn!: () => void;
  const tail = previous.then(() => new Promise<void>((resolveTurn) => (endTurn = resolveTurn)));
  queues.set(file, tail);
  try {
    await previous;
    return await lockAndRun(file, fn, staleMs, timeoutMs);
  } finally {
    // `endTurn` is set once `previous` has settled, which the `await` above guarantees.
    endTurn();
    if (queues.get(file) === tail) queues.delete(file);
  }
}

async function lockAndRun<T>(
  file: string,
  fn: (lock: HeldStateLock) => T | Promise<T>,
  staleMs: number,
  timeoutMs: number,
): Promise<T> {
  const lockPath = `${file}.lock`;
  const past = history.get(file);
  await pauseIfBarging(past);
  const lockFs = createReclaimSafeLockFs(lockPath, staleMs);
  const controller = new AbortController();
  let release: () => Promise<void>;
  try {
    release = await properLockfile.lock(file, {
      realpath: false,
      stale: staleMs,
      retries: {
        retries: Math.ceil(timeoutMs / MAX_RETRY_INTERVAL_MS) + RAMP_UP_ATTEMPTS,
        minTimeout: 1,
        maxTimeout: MAX_RETRY_INTERVAL_MS,
        factor: 1.5,
        randomize: true,
      },
      fs: lockFs.fs,
      // The default throws from a timer, which would crash the process.
      onCompromised: (error) => controller.abort(error),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    throw new StateLockError(
      `Could not lock ${file} within ${timeoutMs} ms: ${lockPath} is held by another process. ` +
        `If no ephemeral-servers process is running, it is left over: delete it, or wait ${staleMs} ms for it to go stale.`,
      lockPath,
      { cause: error },
    );
  }

  let result: T;
  try {
    result = await fn({ signal: controller.signal, reclaimedStale: lockFs.reclaimedStale });
  } finally {
    await release().catch((error: unknown) => {
      // Already released because it was compromised: the signal says so.
      if ((error as NodeJS.ErrnoException).code !== 'ERELEASED') throw error;
    });
    const releasedAt = performance.now();
    history.set(file, { releasedAt, contendedAt: lockFs.contended ? releasedAt : (past?.contendedAt ?? -Infinity) });
  }
  controller.signal.throwIfAborted();
  return result;
}

/** Lets sleeping waiters have a go when this process would otherwise retake a contended lock at once. */
async function pauseIfBarging(past: { releasedAt: number; contendedAt: number } | undefined): Promise<void> {
  const now = performance.now();
  if (!past || now - past.releasedAt >= MAX_RETRY_INTERVAL_MS || now - past.contendedAt >= CONTENTION_MEMORY_MS) return;
  await new Promise((resolveDelay) => setTimeout(resolveDelay, Math.random() * BARGE_PAUSE_MAX_MS));
}
