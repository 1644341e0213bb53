import type { NormalizedProbe } from '../config/normalized.js';
import type { Endpoint } from '../endpoint.js';
import { CustomProbe } from './custom-probe.js';
import { HttpProbe } from './http-probe.js';
import { LogProbe } from './log-probe.js';
import type { OutputSource } from './output-source.js';
import { TcpProbe } from './tcp-probe.js';

/** The address a probe checks: the server's host (unbracketed), port and base URL. */
export type ProbeTarget = Pick<Endpoint, 'host' | 'port' | 'url'>;

/** Named groups a `log` probe captured from the matching line. */
export interface CapturedGroups {
  /** The `port` group, parsed (1 to 65535). */
  port?: number;
  /** The `host` group, with IPv6 brackets removed. */
  host?: string;
}

/** Outcome of one probe attempt. */
export type ProbeResult =
  /** Passed. `captured` holds the named groups of a `log` probe's matching line, when it had some. */
  | { ok: true; captured?: CapturedGroups }
  /** Not yet. `reason` says why, e.g. `connect ECONNREFUSED 127.0.0.1:41234`; it becomes `lastError`. */
  | { ok: false; reason: string };

/** What one probe attempt gets. */
export interface ProbeAttempt {
  /** Server name. */
  server: string;
  /** Address to probe. Always set for probes whose `needsTarget` is `true`. */
  target: ProbeTarget | undefined;
  /**
   * Aborted when this attempt is given up: its own timeout, or the whole wait ending. Probes destroy
   * their sockets then and resolve with `ok: false`.
   */
  signal: AbortSignal;
  /** Aborted when the whole wait is given up (timeout, exit, caller's signal); custom checks receive it. */
  waitSignal: AbortSignal;
}

/**
 * One way of telling that a server is ready. `check` resolves with `ok: false` and a reason for an
 * attempt that failed in an expected way (refused, wrong status, no matching line); it rejects only on
 * a bug or a misuse, which ends the wait.
 */
export interface ReadinessProbe {
  /** `false` for probes that need no address (`log`): they run before a port is known. */
  readonly needsTarget: boolean;
  /** How the probe is named in errors, e.g. `http GET http://127.0.0.1:41234/health (200-399)`. */
  describe(target: ProbeTarget | undefined): string;
  /** Makes one attempt. */
  check(attempt: ProbeAttempt): Promise<ProbeResult>;
}

/** What some probes need besides their spec. */
export interface ProbeDependencies {
  /** Output of the server; required by `log` probes. */
  output?: OutputSource;
}

/**
 * Creates the probe for a normalized probe spec.
 * @throws {TypeError} for a `log` probe when `dependencies.output` is missing.
 */
export function createProbe(spec: NormalizedProbe, dependencies: ProbeDependencies = {}): ReadinessProbe {
  switch (spec.type) {
    case 'http':
      return new HttpProbe(spec);
    case 'tcp':
      return new TcpProbe();
    case 'log':
      if (dependencies.output === undefined) {
        throw new TypeError(`A \`log\` probe (${String(spec.pattern)}) needs \`output\`, received undefined`);
      }
      return new LogProbe(spec.pattern, dependencies.output);
    case 'custom':
      return new CustomProbe(spec);
  }
}
