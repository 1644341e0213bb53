// The core API, as an ES module consumer sees it (dist/index.d.ts).
import {
  defineServers,
  startServers,
  startRun,
  getEndpoint,
  Wait,
  CONFIG_ENV,
  STATE_ENV,
  ERROR_FIXES,
  ServerNotFoundError,
  EphemeralServersError,
  type Endpoint,
  type ErrorCode,
  type RunOwner,
  type ServersHandle,
  type ForHttpOptions,
  type GetEndpointOptions,
} from 'ephemeral-servers';

export const config = defineServers({
  api: {
    command: ['node', 'server.js', '--port', '{port}'],
    readiness: { type: 'http', path: '/health' },
    stopTimeoutMs: 2000,
  },
  web: {
    command: ['node', 'web.js', '--port', '0'],
    port: 0,
    readiness: /on port (?<port>\d+)/,
    dependsOn: ['api'],
    scope: 'worker',
  },
  ok: {
    command: ['node', 'ok.js', '{port}'],
    readiness: Wait.forHttp('/health', { statuses: [200, 204] } satisfies ForHttpOptions),
  },
});

// @ts-expect-error: `command` must be an array
defineServers({ bad: { command: 'node server.js' } });

export async function useCore(): Promise<string> {
  const handle: ServersHandle = await startServers(config, { scope: 'run', reuse: false });
  const api: Endpoint = handle.getEndpoint('api');
  const owner: RunOwner = await startRun({ configFile: 'servers.config.ts', exportEnv: true });
  await owner.teardown();
  const options: GetEndpointOptions = { slot: 0 };
  // One lookup, synchronous: an Endpoint, not a promise.
  const fromState: Endpoint = getEndpoint('api', options);
  // @ts-expect-error: internals are not exported from the root
  void (await import('ephemeral-servers')).readState;
  try {
    await handle.stop();
  } catch (error) {
    if (error instanceof EphemeralServersError) {
      const code: ErrorCode = error.code;
      return code;
    }
  }
  const notFound = new ServerNotFoundError('x', 1, ['api'], 'here');
  return [api.url, fromState.port, STATE_ENV, CONFIG_ENV, ERROR_FIXES[notFound.code], notFound.code].join();
}
