// Where ephemeral-servers' readiness and state-update overhead goes (run: node --import tsx bench/profile-ready.mjs).
// Times each step startServers takes for one server, on internal modules imported from src/, and computes
// the readiness lag of the default backoff for a server that becomes ready at time T.
import { createServer } from 'node:http';
import { startEmptyRun, startServers, validateConfig } from './lib/ours.mjs';
import { allocatePort } from '../src/ports/index.ts';
import { readProcessStartTime } from '../src/process/process-identity.ts';
import { DEFAULT_BACKOFF } from '../src/readiness/backoff.ts';
import { supervisorFor } from '../src/run/supervisor-client.ts';
import { summarize } from './lib/stats.mjs';

const time = async (n, fn) => {
  for (let i = 0; i < Math.min(5, n); i++) await fn(i); // warm-up
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
};
const owner = await startEmptyRun();
const { stateFile } = owner.run;
const client = supervisorFor(stateFile);
const entry = (port) => ({
  name: 'p',
  slot: 1,
  scope: 'worker',
  kind: 'in-process',
  endpoint: { name: 'p', slot: 1, host: '127.0.0.1', port, url: `http://127.0.0.1:${port}` },
  pid: process.pid,
  owner: { kind: 'worker', pid: process.pid },
  startedAt: new Date().toISOString(),
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 1000,
  status: 'running',
  dependsOn: [],
});
const app = () => createServer((q, s) => s.end('ok'));
const inProcessConfig = { api: { app } };
const steps = {
  'startRun, no server (run dir, supervisor spawn, first write) + teardown': await time(10, async () =>
    (await startEmptyRun()).teardown(),
  ),
  'allocatePort + release': await time(30, async () => (await allocatePort()).release()),
  'record request (one entry: round trip, validation, atomic write)': await time(100, (i) =>
    client.request('record', { key: 'p@1', entry: entry(1000 + i) }),
  ),
  'state request (round trip, no write)': await time(100, () => client.request('state', {})),
  'validateConfig, one in-process server': await time(100, () => validateConfig(inProcessConfig)),
  'readProcessStartTime(self) (/proc/self/stat)': await time(100, () => readProcessStartTime(process.pid)),
};
// In-process start and stop joining the run, timed apart:
const starts = [];
const stops = [];
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  const h = await startServers(inProcessConfig, { stateFile, exportEnv: false });
  const t1 = performance.now();
  await h.stop();
  starts.push(t1 - t0);
  stops.push(performance.now() - t1);
}
steps['in-process startServers, joining the run'] = summarize(starts);
steps['in-process handle.stop() (close + remove request)'] = summarize(stops);
// Poll instants of the default backoff (the first attempt at 0) and the lag for a server ready at T.
const polls = [0];
for (
  let d = DEFAULT_BACKOFF.initialMs, t = 0;
  t < 2000;
  d = Math.min(d * DEFAULT_BACKOFF.factor, DEFAULT_BACKOFF.maxMs)
)
  polls.push((t += d));
const lagAt = (T) => polls.find((p) => p >= T) - T;
const lags = [];
for (let T = 20; T <= 120; T += 0.5) lags.push(lagAt(T));
const probe = { 'backoff lag for T uniform in 20–120 ms (poll instants only)': summarize(lags) };
// A 1 ms floor has a mean lag of 0.5 ms. An http attempt costs a request; a tcp one a connect:
const server = createServer((q, s) => s.end('ok'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();
probe['one http GET on a ready server (fetch)'] = await time(50, async () =>
  (await fetch(`http://127.0.0.1:${port}/`)).text(),
);
server.close();
await owner.teardown();
console.log(JSON.stringify({ steps, probe, polls: polls.slice(0, 12).map((p) => Math.round(p * 10) / 10) }, null, 1));
