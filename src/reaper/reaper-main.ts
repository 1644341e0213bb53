/**
 * The reaper: a small detached process, one per run, spawned by the run owner (see
 * `src/lifecycle/spawn-reaper.ts`). Usage: `node reaper.js <stateFile>`.
 *
 * Its stdin is a pipe whose other end only the owner holds. The owner writes lines:
 * - `urgent`: the owner is in its last-resort exit path; if it dies now, skip the graceful stop.
 * - `done`: the run ended cleanly; exit without touching anything.
 *
 * When the pipe closes without `done` (the owner died by any means, SIGKILL included; the kernel closes
 * its end), the reaper at once reaps the run (see `reapRun`) and exits. No polling: end-of-file on a
 * pipe is immediate. It writes only to its stderr, which the owner points at `<runDir>/reaper.log`:
 * never to the owner's terminal.
 */
import { reapRun } from './reap-run.js';

const stateFile = process.argv[2];
if (stateFile === undefined || stateFile === '') {
  process.stderr.write('usage: reaper <stateFile>\n');
  process.exit(2);
}

const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} reaper ${process.pid}: ${line}\n`);
};

let urgent = false;
let done = false;
let reaping = false;
let buffered = '';

function onEnd(): void {
  if (reaping) return;
  reaping = true;
  if (done) {
    log('run ended cleanly');
    process.exit(0);
  }
  log(`owner gone${urgent ? ' (urgent)' : ''}: reaping ${stateFile}`);
  reapRun(stateFile!, { urgent, log }).then(
    (result) => {
      log(`stopped [${result.stopped.join(', ')}], forced [${result.forced.join(', ')}], left alone [${result.foreign.join(', ')}]`);
      process.exit(0);
    },
    (error: unknown) => {
      log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    if (line === 'urgent') urgent = true;
    else if (line === 'done') done = true;
  }
});
process.stdin.on('end', onEnd);
process.stdin.on('close', onEnd);
process.stdin.on('error', (error: NodeJS.ErrnoException) => {
  log(`stdin error ${error.code ?? error.message}: treated as the owner's end`);
  onEnd();
});
log(`watching ${stateFile}`);
