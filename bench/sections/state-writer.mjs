// One of 16 concurrent state-file writers (run with `node --import tsx`: updateState is internal, imported
// from src/). Each owns the entry `w<i>@<i>` and sets its endpoint port to 1, 2, … N, one update at a time;
// prints its per-update latencies as JSON.
import { updateState } from '../../src/state/index.ts';

const [stateFile, index, count] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const key = `w${index}@${index}`;
const latencies = [];
process.stdout.write('booted\n');
await new Promise((resolve) => process.stdin.once('data', resolve)); // go
for (let n = 1; n <= count; n++) {
  const t0 = performance.now();
  await updateState(stateFile, (state) => {
    const entry = state.servers[key];
    if (entry.endpoint.port !== n - 1) throw new Error(`lost update: ${key} has port ${entry.endpoint.port}, expected ${n - 1}`);
    entry.endpoint.port = n;
    entry.endpoint.url = `http://127.0.0.1:${n}`;
  });
  latencies.push(performance.now() - t0);
}
process.stdout.write(JSON.stringify(latencies));
process.exit(0);
