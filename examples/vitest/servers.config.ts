import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineServers } from 'ephemeral-servers';
import { createApp } from './app.js';

const require = createRequire(import.meta.url);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineServers({
  // A non-Node server, one for the whole run: every worker sees the same endpoint.
  python: {
    command: ['python3', '-m', 'http.server', '{port}', '--bind', '127.0.0.1', '--directory', here('./python-root')],
    readiness: { type: 'http', path: '/shared.txt' },
  },
  // The npm http-server, one per worker slot, serving ./public. Paths it does not have are proxied to
  // the Python server, whose URL it gets through the {python.url} placeholder.
  static: {
    scope: 'worker',
    command: [
      process.execPath,
      require.resolve('http-server/bin/http-server'),
      here('./public'),
      '-p',
      '{port}',
      '-a',
      '127.0.0.1',
      '-c-1',
      '--proxy',
      '{python.url}',
    ],
    dependsOn: ['python'],
    readiness: { type: 'http', path: '/index.html' },
  },
  // An express app started inside each test worker (port 0: no race).
  api: { scope: 'worker', app: createApp },
});
