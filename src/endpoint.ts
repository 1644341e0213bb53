/**
 * Where a running server can be reached. Plain JSON: safe to send across processes, to `provide`, to
 * environment variables and to the state file.
 */
export interface Endpoint {
  /** Server name, as in the config. */
  name: string;
  /**
   * Worker slot the instance belongs to: 0 for `run`-scoped servers (one instance for the whole run),
   * 1..N for `worker`-scoped ones (`VITEST_POOL_ID`, `JEST_WORKER_ID`, Playwright's
   * `TEST_PARALLEL_INDEX` + 1).
   */
  slot: number;
  /** Host the server listens on, e.g. `127.0.0.1` or `::1` (never bracketed). */
  host: string;
  /** TCP port the server listens on. */
  port: number;
  /**
   * Connection URL: the spec's `url` template expanded, e.g. `postgresql://postgres@127.0.0.1:41234/postgres`;
   * by default the base URL without a trailing slash, e.g. `http://127.0.0.1:41234` or `http://[::1]:41234`.
   */
  url: string;
}

/** URL scheme of a server's endpoint. */
export type Protocol = 'http' | 'https';

/**
 * Formats a host for use in a URL authority: IPv6 literals are bracketed (RFC 3986, section 3.2.2).
 * @example formatHostForUrl('::1') === '[::1]'
 */
export function formatHostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Builds an {@link Endpoint} from its parts; `url` defaults to `http://<host>:<port>` (IPv6 bracketed). */
export function createEndpoint(name: string, slot: number, host: string, port: number, url?: string): Endpoint {
  return { name, slot, host, port, url: url ?? `http://${formatHostForUrl(host)}:${port}` };
}
