import type { OutputSource } from './output-source.js';
import type { CapturedGroups, ProbeAttempt, ProbeResult, ProbeTarget, ReadinessProbe } from './readiness-probe.js';

/** Control sequences (colours, cursor moves) that servers print on a TTY or with FORCE_COLOR. */
// eslint-disable-next-line no-control-regex -- matching ESC and BEL is the point: they start and end these sequences
const ANSI_ESCAPE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/**
 * Readiness by a line of output matching a RegExp. Lines are matched once each, in order, with ANSI
 * escape sequences removed (a dev server printing `localhost:\x1b[1m5173\x1b[22m` matches
 * `/localhost:(?<port>\d+)/`). The scan position is kept between attempts. On a match, the named
 * groups `port` and `host` are returned as `captured`; a `port` group that is not a port number (1 to
 * 65535) does not count as a match.
 */
export class LogProbe implements ReadinessProbe {
  readonly needsTarget = false;
  readonly #pattern: RegExp;
  readonly #output: OutputSource;
  /** Index of the next line to read. */
  #next = 0;

  constructor(pattern: RegExp, output: OutputSource) {
    // Without `g`/`y`, `exec` does not depend on (or move) `lastIndex`.
    this.#pattern = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    this.#output = output;
  }

  describe(_target?: ProbeTarget): string {
    return `log ${String(this.#pattern)}`;
  }

  async check(_attempt?: ProbeAttempt): Promise<ProbeResult> {
    const lines = this.#output.lines;
    // Lines dropped before we read them are skipped: they can no longer be seen.
    const dropped = this.#output.droppedLines ?? 0;
    const first = Math.max(this.#next - dropped, 0);
    let rejected: string | undefined;
    for (let index = first; index < lines.length; index += 1) {
      this.#next = dropped + index + 1;
      const match = this.#pattern.exec((lines[index] ?? '').replace(ANSI_ESCAPE, ''));
      if (match === null) continue;
      const captured = readGroups(match.groups);
      if (typeof captured === 'string') {
        rejected = captured;
        continue;
      }
      return captured.port === undefined && captured.host === undefined ? { ok: true } : { ok: true, captured };
    }
    return {
      ok: false,
      reason: rejected ?? `no line of output matched ${String(this.#pattern)} (${this.#next} line(s) read)`,
    };
  }
}

/** The `port` and `host` groups, or why the line does not count. */
function readGroups(groups: Record<string, string | undefined> | undefined): CapturedGroups | string {
  const captured: CapturedGroups = {};
  const port = groups?.['port'];
  if (port !== undefined) {
    const value = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
    if (!(value >= 1 && value <= 65_535)) {
      return `a line matched but its \`port\` group is "${port}", not a port number (1 to 65535)`;
    }
    captured.port = value;
  }
  const host = groups?.['host'];
  if (host !== undefined && host !== '') {
    captured.host = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  }
  return captured;
}
