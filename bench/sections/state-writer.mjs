// One state-file writer of the state-file benchmark (run with `node --import tsx`: the supervisor client is
// internal, imported from src/). It owns the entry `key` (an in-process server hosted by this process)
// and sets its endpoint port to 1, 2, 3, … one update at a time, each update sent either as
//   ours:  `supervisorFor(stateFile).request('record', { key, entry })`, resolved once readers see it;
//   floor: the same bytes on the bare floor's socket (bench/lib/socket-floor-server.mjs), one round trip.
// argv[2]: JSON { stateFile, floorSocket, key, slot, updates, warmup }.
// stdout: "booted" once connected to both and warmed up; then for each stdin line naming a variant
// ("ours" or "floor"), `updates` timed updates and one JSON line { variant, latencies, startedAt,
// endedAt, lastPort, visible } (visible: after the last acknowledged update, this process reads the
// state file and finds it). Exits when stdin ends, so its entry stays until the parent has checked it.
import { once } from 'node:events';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { readState } from '../lib/ours.mjs';
import { epochMs } from '../lib/stats.mjs';
import { supervisorFor } from '../../src/run/supervisor-client.ts';

const { stateFile, floorSocket, key, slot, updates, warmup } = JSON.parse(process.argv[2]);
const name = key.slice(0, key.indexOf('@'));
const client = supervisorFor(stateFile);
const startedAt = new Date().toISOString();
let port = 0;
const entryAt = (p) => ({
  name,
  slot,
  scope: 'worker',
  kind: 'in-process',
  endpoint: { name, slot, host: '127.0.0.1', port: p, url: `http://127.0.0.1:${p}` },
  pid: process.pid,
  owner: { kind: 'worker', pid: process.pid },
  startedAt,
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 1000,
  status: 'running',
});

const floor = connect(floorSocket);
await once(floor, 'connect');
let floorWaiting;
let floorBuffered = '';
floor.on('data', (chunk) => {
  floorBuffered += chunk;
  if (floorBuffered.endsWith('\n')) {
    floorBuffered = '';
    floorWaiting?.();
  }
});
let floorId = 0;
/** One bare round trip carrying what a record request carries. */
const floorUpdate = (p) =>
  new Promise((resolve) => {
    floorWaiting = resolve;
    floor.write(`${JSON.stringify({ id: ++floorId, op: 'record', key, entry: entryAt(p) })}\n`);
  });
const oursUpdate = (p) => client.request('record', { key, entry: entryAt(p) });
const UPDATE = { ours: oursUpdate, floor: floorUpdate };

await oursUpdate(port); // the entry exists from here on (port 0)
for (let i = 0; i < warmup; i++) {
  await oursUpdate(++port);
  await floorUpdate(port);
}
process.stdout.write('booted\n');

for await (const variant of createInterface({ input: process.stdin })) {
  const update = UPDATE[variant];
  if (update === undefined) throw new Error(`state-writer: unknown variant ${JSON.stringify(variant)}`);
  const latencies = [];
  const t0 = epochMs();
  for (let n = 0; n < updates; n++) {
    const p = variant === 'ours' ? ++port : port;
    const started = performance.now();
    await update(p);
    latencies.push(performance.now() - started);
  }
  const endedAt = epochMs();
  const visible = variant === 'ours' ? (await readState(stateFile)).servers[key]?.endpoint.port === port : undefined;
  process.stdout.write(`${JSON.stringify({ variant, latencies, startedAt: t0, endedAt, lastPort: port, visible })}\n`);
}
floor.end();
process.exit(0);
