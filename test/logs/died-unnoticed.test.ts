// The log of a server that dies on its own while running is kept after the run, even when no test
// reads its endpoint again or fails; a server stopped by the run keeps nothing.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { defineServers, startServers } from '../../src/index.js';
import { readState } from '../../src/state/index.js';
import { createOwnedRun } from '../../src/run/owned-run.js';
import { useKeptLogsRoot } from './kept-root.js';

const serverScript = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));
const keptRoot = useKeptLogsRoot();

it('keeps the log of a running server that was SIGKILLed, and nothing of one the run stopped', async () => {
  const owned = await createOwnedRun({ exportEnv: false });
  try {
    const config = defineServers({
      victim: { command: ['node', serverScript, '--port', '{port}', '--name', 'victim'] },
      steady: { command: ['node', serverScript, '--port', '{port}', '--name', 'steady'] },
    });
    const handle = await startServers(config, { stateFile: owned.run.stateFile, exportEnv: false });
    await handle.detach();
    const victim = (await readState(owned.run.stateFile)).servers['victim@0']!;
    process.kill(victim.pid, 'SIGKILL');
    for (let tries = 0; (await readState(owned.run.stateFile)).servers['victim@0']?.status !== 'dead'; tries++) {
      if (tries > 200) throw new Error('the death was never recorded');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await owned.stopAll();
  } finally {
    await owned.end();
  }
  const keptDir = join(keptRoot(), basename(owned.run.runDir));
  expect(readFileSync(join(keptDir, 'victim@0.log'), 'utf8')).toContain('victim booting');
  expect(existsSync(join(keptDir, 'steady@0.log'))).toBe(false);
});

it('keeps nothing of a start that lost its port once and succeeded on the retry', async () => {
  const marker = join(keptRoot(), 'lost-once');
  // First attempt: dies as Node does when another process took the port; second: serves.
  const script = `if [ ! -e ${marker} ]; then touch ${marker}; echo "Error: listen EADDRINUSE: address already in use 127.0.0.1:$1" >&2; exit 1; fi; exec node ${serverScript} --port "$1"`;
  const handle = await startServers(defineServers({ racer: { command: ['sh', '-c', script, 'sh', '{port}'] } }), {
    exportEnv: false,
  });
  let runDir: string;
  try {
    runDir = handle.run.runDir;
    expect(existsSync(marker)).toBe(true); // the first attempt lost its port
    expect(handle.getEndpoint('racer').port).toBeGreaterThan(0);
  } finally {
    await handle.stop();
  }
  expect(existsSync(join(keptRoot(), basename(runDir)))).toBe(false);
});
