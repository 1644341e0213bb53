import { connect } from 'node:net';
import { formatHostForUrl } from '../endpoint.js';
import { describeError } from './describe-error.js';
import { probeHostsFor, raceHosts, type HostOutcome } from './race-hosts.js';
import type { ProbeAttempt, ProbeResult, ProbeTarget, ReadinessProbe } from './readiness-probe.js';

/**
 * Readiness by a TCP connect, closed as soon as it is established. For `localhost`, 127.0.0.1 and ::1
 * are tried at once and the first connection wins.
 */
export class TcpProbe implements ReadinessProbe {
  readonly needsTarget = true;

  describe(target: ProbeTarget | undefined): string {
    if (target === undefined) {
      return 'tcp connect';
    }
    const hosts = probeHostsFor(target.host);
    const also = hosts.length > 1 || hosts[0] !== target.host ? ` (${hosts.join(' or ')})` : '';
    return `tcp connect ${formatHostForUrl(target.host)}:${target.port}${also}`;
  }

  async check({ target, signal }: ProbeAttempt): Promise<ProbeResult> {
    if (target === undefined) {
      throw new TypeError('A `tcp` probe needs a target, received undefined');
    }
    const outcome = await raceHosts(probeHostsFor(target.host), signal, (host, hostSignal) =>
      connectOnce(host, target.port, hostSignal),
    );
    return outcome.answered ? { ok: true } : { ok: false, reason: outcome.reason };
  }
}

/** Connects to `host`:`port`, then destroys the socket. */
function connectOnce(host: string, port: number, signal: AbortSignal): Promise<HostOutcome<true>> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ answered: false, reason: describeError(signal.reason) });
      return;
    }
    const socket = connect({ host, port });
    const finish = (outcome: HostOutcome<true>): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = (): void => finish({ answered: false, reason: describeError(signal.reason) });
    socket.once('connect', () => finish({ answered: true, value: true }));
    // Stays attached: a late error after destroy() must not become an uncaught 'error' event.
    socket.on('error', (error) => finish({ answered: false, reason: describeError(error) }));
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
