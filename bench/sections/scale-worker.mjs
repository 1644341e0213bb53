// One worker process of the scale benchmark, joining the run through EPHEMERAL_SERVERS_STATE like a test
// worker. argv: <slot>. Prints "booted", then answers each stdin line with one JSON line:
//   chain                  starts its chain of SCALE_CONFIG: { readyAt, chainMs }
//   in-process <mode> <n>  starts n in-process servers one after another (mode "ours": one startServers
//                          call each, a new name each; "bare": http.createServer().listen(0), the floor):
//                          { starts: ms[] }
//   stop                   stops everything it holds, one after another: { stops: ms[] }
// and exits when stdin ends.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { startServers } from '../lib/ours.mjs';
import { SCALE_CONFIG } from '../lib/scale-config.mjs';
import { epochMs } from '../lib/stats.mjs';

const slot = Number(process.argv[2]);
const handler = (req, res) => res.end('ok');
/** What this worker holds: a stop function per server (or chain). */
let held = [];

const listen = () =>
  new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve(() => new Promise((closed) => server.close(closed))));
  });

const COMMANDS = {
  async chain() {
    const startedAt = epochMs();
    const handle = await startServers(SCALE_CONFIG, { scope: 'worker', slot });
    const readyAt = epochMs();
    held.push(() => handle.stop());
    return { slot, readyAt, chainMs: readyAt - startedAt };
  },
  async 'in-process'(mode, count) {
    const starts = [];
    for (let i = 0; i < Number(count); i++) {
      const t0 = performance.now();
      if (mode === 'bare') held.push(await listen());
      else {
        const handle = await startServers(
          { [`ip${held.length}`]: { app: () => createServer(handler) } },
          { slot, exportEnv: false },
        );
        held.push(() => handle.stop());
      }
      starts.push(performance.now() - t0);
    }
    return { starts };
  },
  async stop() {
    const stops = [];
    for (const stop of held) {
      const t0 = performance.now();
      await stop();
      stops.push(performance.now() - t0);
    }
    held = [];
    return { stops };
  },
};

process.stdout.write('booted\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...args] = line.split(' ');
  if (COMMANDS[command] === undefined) throw new Error(`scale-worker: unknown command ${JSON.stringify(line)}`);
  process.stdout.write(`${JSON.stringify(await COMMANDS[command](...args))}\n`);
}
process.exit(0);
