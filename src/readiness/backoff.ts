/**
 * Delays between two attempts of one probe: `initialMs`, then times `factor` each time, up to
 * `fastMaxMs` while the wait is younger than `fastForMs`, then up to `maxMs`.
 */
export interface Backoff {
  /** Delay after a probe's first failed attempt, in milliseconds. @default 1 */
  initialMs: number;
  /** Growth of the delay after each further failed attempt. @default 1.25 */
  factor: number;
  /** Longest delay between two attempts during the first `fastForMs` of the wait, in milliseconds. @default 4 */
  fastMaxMs: number;
  /** How long the fast polling lasts, from the start of the wait, in milliseconds. @default 1000 */
  fastForMs: number;
  /** Longest delay between two attempts after that, in milliseconds. @default 50 */
  maxMs: number;
}

/**
 * Default {@link Backoff}: 1, 1.25, 1.6, 2, 2.4, 3, 3.8, then every 4 ms for the first second (about 250
 * attempts), then growing to every 50 ms. A poll costs a refused connect on loopback (well under a
 * millisecond), so polling densely while most servers boot is cheap, and a server ready in its first
 * second is seen about 2 ms late at the median (the benchmark's readiness target is 3 ms over a floor
 * that polls every millisecond; with a 10 ms cap the lag was 4.6 ms). A server that takes longer is
 * polled 20 times a second, so the probe's own requests do not flood its access log. Peers poll every
 * 100 to 2000 ms.
 */
export const DEFAULT_BACKOFF: Readonly<Backoff> = Object.freeze({
  initialMs: 1,
  factor: 1.25,
  fastMaxMs: 4,
  fastForMs: 1_000,
  maxMs: 50,
});

/** The delay after `previousMs` for a wait that started `elapsedMs` ago. */
export function nextDelayMs(backoff: Backoff, previousMs: number, elapsedMs: number): number {
  return Math.min(previousMs * backoff.factor, elapsedMs < backoff.fastForMs ? backoff.fastMaxMs : backoff.maxMs);
}

/**
 * Default time one attempt of an `http` or `tcp` probe may take before it is abandoned and retried, in
 * milliseconds. A refused connect on loopback fails at once; this bounds a server that accepts
 * connections but does not answer yet. Custom probes have no per-attempt timeout.
 */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 2_000;

/** Checks a backoff and fills in defaults. @throws {RangeError} naming the field and the value received. */
export function resolveBackoff(backoff: Partial<Backoff> | undefined): Backoff {
  const initialMs = backoff?.initialMs ?? DEFAULT_BACKOFF.initialMs;
  const factor = backoff?.factor ?? DEFAULT_BACKOFF.factor;
  const maxMs = backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs;
  const fastMaxMs = backoff?.fastMaxMs ?? Math.max(initialMs, Math.min(DEFAULT_BACKOFF.fastMaxMs, maxMs));
  const fastForMs = backoff?.fastForMs ?? DEFAULT_BACKOFF.fastForMs;
  if (!(Number.isFinite(initialMs) && initialMs > 0)) {
    throw new RangeError(`\`backoff.initialMs\` must be a positive number of milliseconds, received ${initialMs}`);
  }
  if (!(Number.isFinite(factor) && factor >= 1)) {
    throw new RangeError(`\`backoff.factor\` must be a number of at least 1, received ${factor}`);
  }
  if (!(Number.isFinite(maxMs) && maxMs >= initialMs)) {
    throw new RangeError(
      `\`backoff.maxMs\` must be a number of milliseconds of at least \`backoff.initialMs\` (${initialMs}), received ${maxMs}`,
    );
  }
  if (!(Number.isFinite(fastMaxMs) && fastMaxMs >= initialMs && fastMaxMs <= maxMs)) {
    throw new RangeError(
      `\`backoff.fastMaxMs\` must be a number of milliseconds from \`backoff.initialMs\` (${initialMs}) to \`backoff.maxMs\` (${maxMs}), received ${fastMaxMs}`,
    );
  }
  if (!(Number.isFinite(fastForMs) && fastForMs >= 0)) {
    throw new RangeError(`\`backoff.fastForMs\` must be a non-negative number of milliseconds, received ${fastForMs}`);
  }
  return { initialMs, factor, fastMaxMs, fastForMs, maxMs };
}
