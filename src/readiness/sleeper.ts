/** How a {@link Sleeper.sleep} ended. */
export type WakeReason = 'elapsed' | 'woken' | 'stopped';

/**
 * Sleeps between probe attempts. Every sleep ends early, with its timer cleared, when `stop` aborts
 * (`'stopped'`) or when {@link Sleeper.wakeAll} is called because a probe passed (`'woken'`). Timers are
 * `unref()`'d.
 */
export class Sleeper {
  readonly #stop: AbortSignal;
  readonly #sleeping = new Set<() => void>();

  constructor(stop: AbortSignal) {
    this.#stop = stop;
  }

  /** Waits `ms` milliseconds, or less (see the class). */
  sleep(ms: number): Promise<WakeReason> {
    return new Promise((resolve) => {
      if (this.#stop.aborted) {
        resolve('stopped');
        return;
      }
      const end = (reason: WakeReason): void => {
        clearTimeout(timer);
        this.#stop.removeEventListener('abort', onStop);
        this.#sleeping.delete(onWake);
        resolve(reason);
      };
      const onStop = (): void => end('stopped');
      const onWake = (): void => end('woken');
      const timer = setTimeout(end, ms, 'elapsed');
      timer.unref();
      this.#stop.addEventListener('abort', onStop, { once: true });
      this.#sleeping.add(onWake);
    });
  }

  /** Ends every current sleep with `'woken'`. */
  wakeAll(): void {
    for (const wake of [...this.#sleeping]) wake();
  }
}
