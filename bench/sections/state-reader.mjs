// Reads the state file in a loop (public readState) until stdin closes; prints { reads, torn } where torn
// counts reads that failed (a torn or invalid file).
import { readState } from '../lib/ours.mjs';

const stateFile = process.argv[2];
let reads = 0;
let torn = 0;
const errors = new Set();
let done = false;
process.stdin.on('data', () => {}).once('end', () => (done = true));
while (!done) {
  try {
    await readState(stateFile);
  } catch (error) {
    torn++;
    errors.add(String(error.message).slice(0, 200));
  }
  reads++;
  await new Promise((resolve) => setTimeout(resolve, 2));
}
process.stdout.write(JSON.stringify({ reads, torn, errors: [...errors] }));
