// The servers of the failure-mode contract (test/consumers/failure-contract.test.ts): a ← b ← c,
// run-scoped, so a teardown must stop c, b, a in that order, and `w` (after c), worker-scoped, which
// the runners' tests start (not the CLI) and which must stop before b. With ES_FAILURE_SCENARIO=start-failure,
// `broken` (after a, next to b) exits before it is ready: the start must fail with ServerExitedError
// and stop what it started. A plain object, as servers.config.mjs (see there why).
import { fileURLToPath } from 'node:url';

const serverScript = fileURLToPath(new URL('./failure-contract-server.mjs', import.meta.url));
const server = (name, dependsOn = [], extra = [], scope = 'run') => ({
  scope,
  command: [process.execPath, serverScript, name, '{port}', ...extra],
  readiness: { type: 'http', path: '/info' },
  dependsOn,
});

export default {
  a: server('a'),
  b: server('b', ['a']),
  c: server('c', ['b']),
  w: server('w', ['c'], [], 'worker'),
  ...(process.env.ES_FAILURE_SCENARIO === 'start-failure' ? { broken: server('broken', ['a'], ['--crash']) } : {}),
};
