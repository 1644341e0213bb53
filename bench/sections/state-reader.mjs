// Reads the state file in a loop (public readState) until stdin closes; prints { reads, torn, errors,
// regressions }: torn counts reads that failed (a torn or invalid file); regressions counts reads where
// an entry's port (each writer's update counter) was lower than an earlier read had seen: an
// acknowledged update undone by a later write.
import { readState } from '../lib/ours.mjs';

const stateFile = process.argv[2];
let reads = 0;
let torn = 0;
let regressions = 0;
const highest = new Map();
const errors = new Set();
let done = false;
process.stdin.on('data', () => {}).once('end', () => (done = true));
while (!done) {
  try {
    const state = await readState(stateFile);
    for (const [key, entry] of Object.entries(state.servers)) {
      if (entry.endpoint.port < (highest.get(key) ?? 0)) regressions++;
      else highest.set(key, entry.endpoint.port);
    }
  } catch (error) {
    torn++;
    errors.add(String(error.message).slice(0, 200));
  }
  reads++;
  await new Promise((resolve) => setTimeout(resolve, 2));
}
process.stdout.write(JSON.stringify({ reads, torn, errors: [...errors], regressions }));
