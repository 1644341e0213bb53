/**
 * `ephemeral-servers/supertest`: supertest bound to a server of the run. supertest is an optional peer
 * dependency: install it (and `@types/supertest` for types) to use this subpath. See docs/supertest.md.
 */
import supertest from 'supertest';
import type { Endpoint } from '../endpoint.js';
import { getEndpoint } from '../state/get-endpoint.js';

/** A server name (looked up in the run's state file), an {@link Endpoint}, or a base URL. */
export type RequestTarget = string | Pick<Endpoint, 'url'>;

/**
 * Base URL of a target: an object's `url`; a string containing `://` as given; any other string is a
 * server name, resolved from the run's state file for the current worker slot (the run-scoped
 * instance if the server is run-scoped, else this slot's, which must already be started).
 * @throws ServerNotFoundError, ServerDeadError, StateFileError as `getEndpoint` does.
 * @throws `TypeError` when `target` is neither a string nor an object with a string `url`.
 */
export function resolveTargetUrl(target: RequestTarget): string {
  if (typeof target === 'string') return target.includes('://') ? target : getEndpoint(target).url;
  if (typeof target === 'object' && target !== null && typeof target.url === 'string') return target.url;
  throw new TypeError(`\`target\` must be a server name, an endpoint or a URL, got ${JSON.stringify(target)}`);
}

/**
 * supertest bound to a server: `request('api').get('/users').expect(200)`. Each call of `.get`,
 * `.post`, … is a new request with no shared cookies (use {@link agent} to keep them).
 *
 * @example
 * ```ts
 * import { request } from 'ephemeral-servers/supertest';
 * await request('api').get('/health').expect(200);       // by name, for this worker slot
 * await request(api).post('/users').send({ name: 'a' });  // by endpoint (e.g. a fixture's value)
 * ```
 * @throws as {@link resolveTargetUrl}.
 */
export function request(target: RequestTarget): ReturnType<typeof supertest> {
  return supertest(resolveTargetUrl(target));
}

/**
 * A supertest agent bound to a server: like {@link request}, but cookies set by responses are sent
 * with later requests of the same agent (a logged-in session).
 * @throws as {@link resolveTargetUrl}.
 */
export function agent(target: RequestTarget): ReturnType<typeof supertest.agent> {
  return supertest.agent(resolveTargetUrl(target));
}
