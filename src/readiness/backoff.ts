/** Delays between two attempts of one probe: `initialMs`, then times `factor` each time, up to `maxMs`. */
export interface Backoff {
  /** Delay after a probe's first failed attempt, in milliseconds. @default 2 */
  initialMs: number;
  /** Growth of the delay after each further failed attempt. @default 1.5 */
  factor: number;
  /** Longest delay between two attempts of a probe, in milliseconds. @default 20 */
  maxMs: number;
}

/**
 * Default {@link Backoff}: 2, 3, 4.5, 6.75, 10.1, 15.2, then every 20 ms. A server's own boot time
 * dominates: a poll costs a refused connect on loopback (well under a millisecond), and a ready server
 * is seen at most 20 ms late (peers poll every 100 to 2000 ms).
 */
export const DEFAULT_BACKOFF: Readonly<Backoff> = Object.freeze({ initialMs: 2, factor: 1.5, maxMs: 20 });

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
