import type { NormalizedProbe } from '../config/normalized.js';
import { describeError } from './describe-error.js';
import type { ProbeAttempt, ProbeResult, ProbeTarget, ReadinessProbe } from './readiness-probe.js';

type CustomProbeSpec = Extract<NormalizedProbe, { type: 'custom' }>;

/**
 * Readiness by a function of the user's: an attempt passes when it returns (or resolves to) anything
 * but `false`; a throw or rejection is the attempt's error. It gets the server's address and the
 * wait's signal (aborted when the start is given up), and no per-attempt timeout: the start deadline
 * still applies.
 */
export class CustomProbe implements ReadinessProbe {
  readonly needsTarget = true;
  readonly #check: CustomProbeSpec['check'];
  readonly #description: string;

  constructor(spec: CustomProbeSpec) {
    this.#check = spec.check;
    this.#description = spec.description;
  }

  describe(_target?: ProbeTarget): string {
    return this.#description === 'custom' ? 'custom' : `custom (${this.#description})`;
  }

  async check({ server, target, waitSignal }: ProbeAttempt): Promise<ProbeResult> {
    if (target === undefined) {
      throw new TypeError('A `custom` probe needs a target, received undefined');
    }
    try {
      const passed = await this.#check({
        server,
        host: target.host,
        port: target.port,
        url: target.url,
        signal: waitSignal,
      });
      return passed === false ? { ok: false, reason: 'the check returned false' } : { ok: true };
    } catch (error) {
      // Any throw is the user's way of saying "not yet": it is the attempt's error, by contract.
      return { ok: false, reason: describeError(error) };
    }
  }
}
