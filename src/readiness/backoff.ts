/** Delays between two attempts of one probe: `initialMs`, then times `factor` each time, up to `maxMs`. */
export interface Backoff {
  /** Delay after a probe's first failed attempt, in milliseconds. @default 1 */
  initialMs: number;
  /** Growth of the delay after each further failed attempt. @default 1.25 */
  factor: number;
  /** Longest delay between two attempts of a probe, in milliseconds. @default 10 */
  maxMs: number;
}

/**
 * Default {@link Backoff}: 1, 1.25, 1.6, 2, 2.4, 3, 3.8, 4.8, 6, 7.5, 9.3, then every 10 ms (about 12
 * attempts in the first 50 ms). A poll costs a refused connect on loopback (well under a millisecond),
 * so polling densely while most servers boot is cheap, and a ready server is seen at most 10 ms late
 * (peers poll every 100 to 2000 ms). The benchmark (docs/benchmarks.md) measured the earlier
 * 2 ms ×1.5 capped at 20 ms: a server ready between 20 and 120 ms was seen 9 ms late at the median.
 */
export const DEFAULT_BACKOFF: Readonly<Backoff> = Object.freeze({ initialMs: 1, factor: 1.25, maxMs: 10 });

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
  if (!(Number.isFinite(initialMs) && initialMs > 0)) {
    throw new RangeError(`\`backoff.initialMs\` must be a positive number of milliseconds, received ${initialMs}`);
  }
  if (!(Number.isFinite(factor) && factor >= 1)) {
    throw new RangeError(`\`backoff.factor\` must be a number of at least 1, received ${factor}`);
  }
  if (!(Number.isFinite(maxMs) && maxMs >= initialMs)) {
    throw new RangeError(`\`backoff.maxMs\` must be a number of milliseconds of at least \`backoff.initialMs\` (${initialMs}), received ${maxMs}`);
  }
  return { initialMs, factor, maxMs };
}
