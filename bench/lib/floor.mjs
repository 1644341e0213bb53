// The bare floor: what readiness and stop cost without any tool.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { sleep } from './stats.mjs';

/** One TCP connect attempt: resolves true when accepted, false when refused. */
export function tryConnect(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Connects every `intervalMs` until accepted (the fastest honest readiness check). */
export async function waitForConnect(port, { intervalMs = 1, timeoutMs = 10_000, host } = {}) {
  const deadline = performance.now() + timeoutMs;
  while (!(await tryConnect(port, host))) {
    if (performance.now() > deadline) throw new Error(`nothing accepted on port ${port} within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Spawns argv detached (own process group) and resolves once port accepts: { child, ms }. */
export async function floorStart(argv, port, options = {}) {
  const started = performance.now();
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', detached: true, ...options });
  await waitForConnect(port);
  return { child, ms: performance.now() - started };
}
