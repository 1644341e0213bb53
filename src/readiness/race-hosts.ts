import { describeError } from './describe-error.js';

/** Outcome of one attempt against one address. */
export type HostOutcome<T> = { answered: true; value: T } | { answered: false; reason: string };

/**
 * Addresses to connect to for a server host. `localhost` gives both loopback addresses, because a
 * server may bind either one (Node 17+ resolves `localhost` to `::1` first on many systems, while
 * `/etc/hosts` often maps it to `127.0.0.1` only). Wildcard hosts give their family's loopback address,
 * since a connection to `0.0.0.0` or `::` does not work everywhere.
 */
export function probeHostsFor(host: string): readonly string[] {
  switch (host.toLowerCase()) {
    case 'localhost':
      return ['127.0.0.1', '::1'];
    case '0.0.0.0':
      return ['127.0.0.1'];
    case '::':
    case '[::]':
      return ['::1'];
    default:
      return [host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host];
  }
}

/**
 * Runs `attempt` against every host in parallel. The first that answers wins and the others are
 * aborted; when none answers, the reasons are joined (`127.0.0.1: …; ::1: …`).
 */
export async function raceHosts<T>(
  hosts: readonly string[],
  signal: AbortSignal,
  attempt: (host: string, signal: AbortSignal) => Promise<HostOutcome<T>>,
): Promise<HostOutcome<T>> {
  const [only] = hosts;
  if (hosts.length === 1 && only !== undefined) {
    return attempt(only, signal);
  }
  const losers = new AbortController();
  const forward = (): void => losers.abort(signal.reason);
  if (signal.aborted) {
    forward();
  } else {
    signal.addEventListener('abort', forward, { once: true });
  }
  try {
    return await new Promise<HostOutcome<T>>((resolve, reject) => {
      const reasons: string[] = hosts.map(() => '');
      let pending = hosts.length;
      hosts.forEach((host, index) => {
        attempt(host, losers.signal).then(
          (outcome) => {
            if (outcome.answered) {
              resolve(outcome);
              losers.abort(new Error(`another address of ${hosts.join(' and ')} answered first`));
              return;
            }
            reasons[index] = outcome.reason.includes(host) ? outcome.reason : `${host}: ${outcome.reason}`;
            pending -= 1;
            if (pending === 0) {
              resolve({ answered: false, reason: reasons.join('; ') });
            }
          },
          (error: unknown) => {
            losers.abort(new Error(`attempt on ${host} failed: ${describeError(error)}`));
            reject(error);
          },
        );
      });
    });
  } finally {
    signal.removeEventListener('abort', forward);
  }
}
