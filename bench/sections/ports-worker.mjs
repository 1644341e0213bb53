// One of 16 processes allocating ports at once (run with `node --import tsx`: our allocator is internal,
// imported from src/ports/). Each allocation is followed by a simulated server boot (BOOT_MS) and a real
// listen() on the port; EADDRINUSE there is a collision. Listening sockets are kept until the end, like
// servers that keep running. Prints { latencies, collisions, ports } as JSON.
import { createServer } from 'node:net';
import getPort, { portNumbers } from 'get-port';
import { allocatePort } from '../../src/ports/index.ts';

const [mode, rangeArg, count, bootMs, reservationDir] = [
  process.argv[2],
  process.argv[3],
  Number(process.argv[4]),
  Number(process.argv[5]),
  process.argv[6],
];
const range = rangeArg === 'any' ? undefined : rangeArg.split('-').map(Number);
const listen = (port) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve({ error }));
    server.listen(port, '127.0.0.1', () => resolve({ server }));
  });

const latencies = [];
const servers = [];
let collisions = 0;
const ports = [];
process.stdout.write('booted\n');
await new Promise((resolve) => process.stdin.once('data', resolve)); // go
const boots = [];
for (let i = 0; i < count; i++) {
  const t0 = performance.now();
  let port;
  let release = async () => {};
  if (mode === 'get-port') {
    port = await getPort(range ? { port: portNumbers(range[0], range[1]), host: '127.0.0.1' } : { host: '127.0.0.1' });
  } else {
    const allocated = await allocatePort({ range, reservationDir });
    port = allocated.port;
    release = allocated.release;
  }
  latencies.push(performance.now() - t0);
  ports.push(port);
  // The server boots while the next allocation goes on (servers start in parallel).
  boots.push(
    (async () => {
      await new Promise((resolve) => setTimeout(resolve, bootMs));
      const { server, error } = await listen(port);
      if (error) {
        if (error.code !== 'EADDRINUSE') throw error;
        collisions++;
      } else servers.push(server);
      await release();
    })(),
  );
}
await Promise.all(boots);
process.stdout.write(JSON.stringify({ latencies, collisions, ports }));
await new Promise((resolve) => process.stdin.once('end', resolve));
for (const s of servers) s.close();
process.exit(0);
