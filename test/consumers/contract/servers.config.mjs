// The servers every consumer project runs, written once. A plain object rather than
// `defineServers(...)`: this file lives outside the consumers, where `ephemeral-servers` would resolve
// to the repository's own build instead of the installed tarball.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const serverScript = fileURLToPath(new URL('./server.mjs', import.meta.url));

export default {
  // One instance for the whole run, its port reserved up front.
  shared: {
    scope: 'run',
    command: [process.execPath, serverScript, 'shared', '{port}'],
    readiness: { type: 'http', path: '/info' },
  },
  // One instance per worker slot, on port 0 announced through a log probe; depends on `shared`.
  api: {
    scope: 'worker',
    port: 0,
    command: [process.execPath, serverScript, 'api', '0'],
    env: { SHARED_URL: '{shared.url}' },
    readiness: /listening on http:\/\/[^:]+:(?<port>\d+)/,
    dependsOn: ['shared'],
  },
  // In-process, per worker slot: lives in the worker process, as long as the test file.
  inproc: {
    scope: 'worker',
    app: () =>
      createServer((req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ name: 'inproc', pid: process.pid }));
      }),
  },
};
