import type {
  CustomReadiness,
  HttpReadiness,
  LogReadiness,
  ReadinessProbeSpec,
  TcpReadiness,
} from '../config/types.js';

/** Options of {@link Wait.forHttp}. */
export interface ForHttpOptions {
  /** Accepted status codes. @default every status from 200 to 399 */
  statuses?: readonly number[];
  /** Accept self-signed or otherwise untrusted certificates on `https`. @default false */
  insecure?: boolean;
}

/** Escapes a string for use as a literal inside a RegExp. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Builders of readiness specs, for `readiness: Wait.forHttp('/health')`. They return the plain spec
 * objects of the config (`HttpReadiness`, …), so a config stays plain data and can be written either way.
 */
export const Wait = {
  /**
   * A `GET` of `path` whose status is accepted.
   * @param path Path and query, e.g. `/health?deep=1`. Defaults to `/`.
   */
  forHttp(path = '/', options: ForHttpOptions = {}): HttpReadiness {
    return { type: 'http', path, ...options };
  },

  /** A TCP connect to the server's port (both 127.0.0.1 and ::1 for `localhost`). */
  forTcp(): TcpReadiness {
    return { type: 'tcp' };
  },

  /**
   * A line of output matching `pattern`. A string matches as a literal substring; a RegExp may have a
   * `port` (and `host`) named group that announces the server's address, e.g.
   * `Wait.forLogMessage(/listening on port (?<port>\d+)/)`.
   */
  forLogMessage(pattern: RegExp | string): LogReadiness {
    return { type: 'log', pattern: typeof pattern === 'string' ? new RegExp(escapeRegExp(pattern)) : pattern };
  },

  /** A function of yours that passes when it returns anything but `false` without throwing. */
  forCustom(check: CustomReadiness['check'], description?: string): CustomReadiness {
    return description === undefined ? { type: 'custom', check } : { type: 'custom', check, description };
  },

  /** All of `probes`, under the one `startTimeoutMs` deadline. */
  forAll(...probes: ReadinessProbeSpec[]): readonly ReadinessProbeSpec[] {
    return probes;
  },
} as const;
