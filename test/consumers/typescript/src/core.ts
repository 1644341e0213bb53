// The core API, as an ES module consumer sees it (dist/index.d.ts).
import {
  defineServers,
  startServers,
  startRun,
  getEndpoint,
  getEndpointSync,
  loadServersConfig,
  detectWorkerSlot,
  STATE_ENV,
  ServerNotFoundError,
  EphemeralServersError,
  type Endpoint,
  type ErrorCode,
  type RunOwner,
  type ServersHandle,
} from 'ephemeral-servers';

export const config = defineServers({
  api: { command: ['node', 'server.js', '--port', '{port}'], readiness: { type: 'http', path: '/health' }, stopTimeoutMs: 2000 },
  web: { command: ['node', 'web.js', '--port', '0'], port: 0, readiness: /on port (?<port>\d+)/, dependsOn: ['api'], scope: 'worker' },
});

// @ts-expect-error: `command` must be an array
defineServers({ bad: { command: 'node server.js' } });

export async function useCore(): Promise<string> {
  const handle: ServersHandle = await startServers(config, { scope: 'run', reuse: false });
  const api: Endpoint = handle.get('api');
  const owner: RunOwner = await startRun({ configFile: 'servers.config.ts', exportEnv: true });
  await owner.teardown();
  const fromState: Endpoint = await getEndpoint('api', { slot: 0 });
  const sync: Endpoint = getEndpointSync('api');
  const slot: number | undefined = detectWorkerSlot();
  const { config: loaded, path } = await loadServersConfig({ cwd: '.' });
  try {
    await handle.stop();
  } catch (error) {
    if (error instanceof EphemeralServersError) {
      const code: ErrorCode = error.code;
      return code;
    }
  }
  const notFound = new ServerNotFoundError('x', 1, ['api'], 'here');
  return [api.url, fromState.port, sync.host, slot, Object.keys(loaded), path, STATE_ENV, notFound.code].join();
}
