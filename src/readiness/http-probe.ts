import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import type { NormalizedProbe } from '../config/normalized.js';
import { expandUrlTemplate } from '../config/placeholders.js';
import { describeError } from './describe-error.js';
import { probeHostsFor, raceHosts, type HostOutcome } from './race-hosts.js';
import type { ProbeAttempt, ProbeResult, ProbeTarget, ReadinessProbe } from './readiness-probe.js';

type HttpProbeSpec = Extract<NormalizedProbe, { type: 'http' }>;

/** Lowest status accepted when `statuses` is not given. */
const FIRST_DEFAULT_STATUS = 200;
/** Highest status accepted when `statuses` is not given. */
const LAST_DEFAULT_STATUS = 399;

/**
 * Readiness by HTTP: a `GET` of `path` on the server's URL (`http` or `https`, from the target URL), or
 * of the probe's own `url` template (`{host}`, `{port}`) when it has one,
 * passes when the status is accepted (default 200 to 399; redirects are not followed). Uses
 * `node:http`/`node:https` directly with `agent: false` (a fresh connection, closed afterwards), so
 * `insecure` can turn off certificate checks. The body is read and discarded. For `localhost`, both
 * 127.0.0.1 and ::1 are asked at once and the first to answer decides.
 */
export class HttpProbe implements ReadinessProbe {
  readonly needsTarget = true;
  readonly #path: string;
  readonly #url: string | undefined;
  readonly #statuses: readonly number[] | undefined;
  readonly #insecure: boolean;

  constructor(spec: HttpProbeSpec) {
    this.#path = spec.path.startsWith('/') ? spec.path : `/${spec.path}`;
    this.#url = spec.url;
    this.#statuses = spec.statuses;
    this.#insecure = spec.insecure;
  }

  /** The URL to request: the probe's own `url` template expanded, else the target's `url` + `path`. */
  #urlOf(target: ProbeTarget): string {
    return this.#url === undefined ? `${target.url}${this.#path}` : expandUrlTemplate(this.#url, target);
  }

  describe(target: ProbeTarget | undefined): string {
    const where = target === undefined ? (this.#url ?? this.#path) : this.#urlOf(target);
    return `http GET ${where} (${formatStatuses(this.#statuses)})${this.#insecure ? ' insecure' : ''}`;
  }

  async check({ target, signal }: ProbeAttempt): Promise<ProbeResult> {
    if (target === undefined) {
      throw new TypeError('An `http` probe needs a target, received undefined');
    }
    const url = new URL(this.#urlOf(target));
    const outcome = await raceHosts(probeHostsFor(target.host), signal, (host, hostSignal) =>
      getStatus(url, host, target.port, this.#insecure, hostSignal),
    );
    if (!outcome.answered) {
      return { ok: false, reason: this.#hint(outcome.reason) };
    }
    return this.#accepts(outcome.value)
      ? { ok: true }
      : { ok: false, reason: `GET ${url.href} answered ${outcome.value}, expected ${formatStatuses(this.#statuses)}` };
  }

  #accepts(status: number): boolean {
    return this.#statuses === undefined
      ? status >= FIRST_DEFAULT_STATUS && status <= LAST_DEFAULT_STATUS
      : this.#statuses.includes(status);
  }

  #hint(reason: string): string {
    return !this.#insecure && /certificate|CERT_|SELF_SIGNED/i.test(reason)
      ? `${reason}. If the server uses a self-signed certificate, set \`insecure: true\` on the http probe`
      : reason;
  }
}

/**
 * One `GET` to `host`:`port`, with the `Host` header and TLS server name of `url`. Answers with the
 * status once the body has ended, or once `signal` aborts after the status arrived (a body that never
 * ends costs the attempt timeout at most, the status still counts).
 */
function getStatus(
  url: URL,
  host: string,
  port: number,
  insecure: boolean,
  signal: AbortSignal,
): Promise<HostOutcome<number>> {
  return new Promise((resolve) => {
    let status: number | undefined;
    let settled = false;
    const options: RequestOptions = {
      host,
      port,
      path: `${url.pathname}${url.search}`,
      method: 'GET',
      agent: false,
      headers: { host: url.host, accept: '*/*' },
      rejectUnauthorized: !insecure,
      // A TLS server name must be a DNS name (RFC 6066): none for IP literals.
      ...(isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0 ? { servername: url.hostname } : {}),
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options);
    const finish = (failure?: string): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      request.destroy();
      resolve(
        status === undefined
          ? { answered: false, reason: failure ?? 'no response' }
          : { answered: true, value: status },
      );
    };
    const onAbort = (): void => finish(describeError(signal.reason));
    request.on('response', (response) => {
      status = response.statusCode;
      response.on('end', () => finish());
      // The status has arrived and is the answer; an error while draining the body does not change it.
      response.on('error', () => finish());
      response.resume();
    });
    request.on('error', (error) => finish(describeError(error)));
    request.on('close', () => finish('connection closed before a response'));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    request.end();
  });
}

/** `200-399` for the default, otherwise the list with runs collapsed: `200-204, 301`. */
function formatStatuses(statuses: readonly number[] | undefined): string {
  if (statuses === undefined) {
    return `${FIRST_DEFAULT_STATUS}-${LAST_DEFAULT_STATUS}`;
  }
  const sorted = [...new Set(statuses)].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let start = 0; start < sorted.length;) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === (sorted[end] ?? 0) + 1) end += 1;
    runs.push(start === end ? `${sorted[start]}` : `${sorted[start]}-${sorted[end]}`);
    start = end + 1;
  }
  return runs.join(', ');
}
