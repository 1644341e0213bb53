/**
 * Readiness: one probe per file behind the {@link ReadinessProbe} interface, {@link waitForReady} to run
 * them all under one deadline, and the {@link Wait} facade that builds readiness specs.
 */
export { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_BACKOFF, type Backoff } from './backoff.js';
export { CustomProbe } from './custom-probe.js';
export { HttpProbe } from './http-probe.js';
export { LogProbe } from './log-probe.js';
export type { OutputSource } from './output-source.js';
export {
  createProbe,
  type CapturedGroups,
  type ProbeAttempt,
  type ProbeDependencies,
  type ProbeResult,
  type ProbeTarget,
  type ReadinessProbe,
} from './readiness-probe.js';
export { TcpProbe } from './tcp-probe.js';
export { Wait, type ForHttpOptions } from './wait.js';
export { waitForReady, type ReadyResult, type WaitForReadyOptions } from './wait-for-ready.js';
