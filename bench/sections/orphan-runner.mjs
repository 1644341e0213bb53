// A test runner that starts two servers (one with a grandchild) with one tool, prints "ready", then
// idles until it is SIGKILLed by the orphans benchmark.
import getPort from 'get-port';
import { SERVERS, shellCommand } from '../lib/servers.mjs';

const [tool, tag] = process.argv.slice(2);
const argv = (port, grandchild) => SERVERS.node.argv(port, tag, grandchild ? ['--grandchild'] : []);

if (tool === 'ours-run' || tool === 'ours-servers') {
  const { startRun, startServers } = await import('../lib/ours.mjs');
  const config = {
    plain: { command: argv('{port}', false), readiness: 'tcp' },
    parent: { command: argv('{port}', true), readiness: 'tcp' },
  };
  if (tool === 'ours-run') await startRun({ config });
  else await startServers(config);
} else if (tool === 'wait-on') {
  const { spawn } = await import('node:child_process');
  const waitOn = (await import('wait-on')).default;
  const ports = [await getPort(), await getPort()];
  ports.forEach((port, i) => spawn(argv(port, i === 1)[0], argv(port, i === 1).slice(1), { stdio: 'ignore' }));
  await waitOn({ resources: ports.map((port) => `tcp:127.0.0.1:${port}`) });
} else if (tool === 'jest-dev-server') {
  const { setup } = await import('jest-dev-server');
  const ports = [await getPort(), await getPort()];
  await setup(
    ports.map((port, i) => ({
      command: shellCommand(argv(port, i === 1)),
      port,
      host: '127.0.0.1',
      usedPortAction: 'error',
    })),
  );
} else {
  throw new Error(`unknown tool ${tool}`);
}
process.stdout.write('ready\n');
setInterval(() => {}, 1e6);
