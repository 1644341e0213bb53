// Servers of the Playwright adapter tests. `web` goes to Playwright's webServer (defineWebServers);
// `api` (a command server) and `mem` (in-process) are per worker (workerServersFixture).
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const serverScript = fileURLToPath(new URL('../../../fixtures/server.mjs', import.meta.url));
const pidFile = process.env.ES_TEST_PID_FILE;

export default {
  web: {
    command: ['node', serverScript, '--port', '{port}', '--name', 'web', '--pid-file', pidFile],
    readiness: 'http',
  },
  api: { command: ['node', serverScript, '--port', '{port}', '--name', 'api', '--pid-file', pidFile], scope: 'worker' },
  mem: { app: () => createServer((_req, res) => res.end(`mem in ${process.pid}`)), scope: 'worker' },
};
