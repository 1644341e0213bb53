// One worker slot of the scale benchmark: waits for "go" on stdin, starts its chain, reports, waits for
// "stop", stops. Joins the run through EPHEMERAL_SERVERS_STATE, like a test worker.
import { createInterface } from 'node:readline';
import { startServers } from '../lib/ours.mjs';
import { SCALE_CONFIG } from '../lib/scale-config.mjs';
import { epochMs } from '../lib/stats.mjs';

const slot = Number(process.argv[2]);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdout.write('booted\n');
await lines.next();
const startedAt = epochMs();
const handle = await startServers(SCALE_CONFIG, { scope: 'worker', slot });
const readyAt = epochMs();
process.stdout.write(`${JSON.stringify({ slot, startedAt, readyAt, chainMs: readyAt - startedAt })}\n`);
await lines.next();
await handle.stop();
process.exit(0);
