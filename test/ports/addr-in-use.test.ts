import { afterEach, describe, expect, it } from 'vitest';
import { closeListeners, listenOn } from '../helpers/sockets.js';
import { spawnCollected } from '../helpers/spawn.js';
import { isAddrInUseOutput } from '../../src/ports/index.js';
import { killFixtures, startFixture } from './fixture-process.js';
import { findFreePortRun } from './free-port-run.js';

afterEach(async () => {
  await closeListeners();
  await killFixtures();
});

/** Runs `python3 -m http.server <port> --bind 127.0.0.1`; resolves with its output once it exits or serves. */
async function runPythonHttpServer(port: number): Promise<string> {
  const python = spawnCollected('python3', ['-u', '-m', 'http.server', String(port), '--bind', '127.0.0.1']);
  await python.waitFor('Serving HTTP').then(
    () => python.child.kill('SIGKILL'),
    // It exited first (EADDRINUSE): its output says why.
    () => undefined,
  );
  return (await python.done).output;
}

// python3 is on every machine of this project (and CI checks it): no skip that would hide its absence.

describe('isAddrInUseOutput', () => {
  it("recognises a Node server's real EADDRINUSE crash, not its normal start", async () => {
    const port = await listenOn('127.0.0.1');
    const crashed = startFixture('port-listener.ts', ['127.0.0.1', String(port)]);
    const { code } = await crashed.exited;
    console.log(`node output (exit ${code}):\n${crashed.output()}`);
    expect(code).not.toBe(0);
    expect(isAddrInUseOutput(crashed.output())).toBe(true);

    const fine = startFixture('port-listener.ts', ['127.0.0.1', '0']);
    await fine.firstLine;
    expect(isAddrInUseOutput(fine.output())).toBe(false);
  });

  it("recognises python3 -m http.server's real failure, not its normal start", async () => {
    const port = await listenOn('127.0.0.1');
    const failed = await runPythonHttpServer(port);
    console.log(`python output:\n${failed}`);
    expect(isAddrInUseOutput(failed)).toBe(true);

    const [free] = await findFreePortRun(1);
    const serving = await runPythonHttpServer(free);
    expect(serving).toContain('Serving HTTP');
    expect(isAddrInUseOutput(serving)).toBe(false);
  });

  it('recognises the documented messages of other runtimes', () => {
    const samples = [
      'listen tcp 127.0.0.1:8080: bind: address already in use', // Go net.Listen
      'Error: Address already in use (os error 98)', // Rust std::io::Error
      'java.net.BindException: Address already in use', // Java
      'nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)', // nginx
      'OSError: [Errno 48] Address already in use', // Python on macOS
      'Only one usage of each socket address (protocol/network address/port) is normally permitted.', // Windows
      'Error: Port 5173 is already in use', // Vite with strictPort
    ];
    for (const sample of samples) expect(isAddrInUseOutput(sample), sample).toBe(true);
    for (const sample of [
      'Listening on http://127.0.0.1:8080',
      'GET /users 200',
      'Port 5173 is in use, trying another one...',
      'error: database in use',
    ]) {
      expect(isAddrInUseOutput(sample), sample).toBe(false);
    }
  });
});
