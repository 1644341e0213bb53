// How each peer is driven, the way their docs show. Each start returns { ms, stop() } where stop()
// resolves when the peer's own stop returns (not necessarily when the processes are gone).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import waitOn from 'wait-on';
import { setup as jestDevServerSetup, teardown as jestDevServerTeardown } from 'jest-dev-server';
import { epochMs, sleep } from './stats.mjs';

const MODULES = fileURLToPath(new URL('../node_modules/', import.meta.url));
export const SSAT_BIN = join(MODULES, 'start-server-and-test/src/bin/start.js');
export const PLAYWRIGHT_CLI = join(MODULES, '@playwright/test/cli.js');
export const PLAYWRIGHT_CONFIG = fileURLToPath(new URL('../playwright/playwright.config.mjs', import.meta.url));

export const PEER_VERSIONS = Object.fromEntries(
  ['wait-on', 'start-server-and-test', 'jest-dev-server', '@playwright/test', 'get-port'].map((name) => [
    name,
    JSON.parse(readFileSync(join(MODULES, name, 'package.json'), 'utf8')).version,
  ]),
);

/** Hand-rolled: spawn, then wait-on with its defaults (250 ms interval) on tcp:host:port; stop with child.kill(). */
export async function startWithWaitOn(argv, port, env = {}) {
  const started = performance.now();
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', env: { ...process.env, ...env } });
  await waitOn({ resources: [`tcp:127.0.0.1:${port}`] });
  const ms = performance.now() - started;
  return {
    ms,
    pid: child.pid,
    // What hand-rolled teardowns do: signal the child and move on (awaiting its exit would hang forever
    // on a server that ignores SIGTERM).
    stop: async () => {
      child.kill();
    },
  };
}

/** jest-dev-server: `setup({ command, port })` (its defaults: tcp probe through wait-on), `teardown()`. */
export async function startWithJestDevServer(command, port, env = {}) {
  const started = performance.now();
  const procs = await jestDevServerSetup({
    command,
    port,
    host: '127.0.0.1',
    usedPortAction: 'error',
    launchTimeout: 15_000,
    options: { env: { ...process.env, ...env } },
  });
  const ms = performance.now() - started;
  return { ms, pid: procs[0]?.pid, stop: () => jestDevServerTeardown(procs) };
}

/**
 * start-server-and-test: `start-server-and-test "<command>" <url> "<test>"` where the test command marks
 * the time it starts. Resolves once the CLI exits: { readyMs, stopMs } where stopMs runs from the test
 * command to the CLI's exit. `onReady(tmp)` runs in between when given (the CLI is then held by
 * `holdMs` of test command).
 */
export async function runStartServerAndTest(command, url, { env = {}, holdMs = 0, timeoutMs = 30_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'es-bench-ssat-'));
  const mark = join(dir, 'mark');
  const test = holdMs > 0 ? `date +%s%N > ${mark}; sleep ${holdMs / 1000}` : `date +%s%N > ${mark}`;
  const started = epochMs();
  const child = spawn(process.execPath, [SSAT_BIN, command, url, test], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  const code = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('start-server-and-test did not finish')), timeoutMs);
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const exitedAt = epochMs();
  try {
    if (code !== 0) throw new Error(`start-server-and-test exited with ${code}`);
    const markMs = Number(readFileSync(mark, 'utf8').trim()) / 1e6;
    return { readyMs: markMs - started, afterTestMs: exitedAt - markMs - holdMs, markMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Epoch ms of the first `pw:webserver` debug line containing `text` (the `debug` package's ISO timestamps, ms resolution). */
function webServerLogAt(log, text) {
  const line = log.split('\n').find((l) => l.includes(' pw:webserver ') && l.includes(text));
  const at = line === undefined ? NaN : Date.parse(line.slice(0, line.indexOf(' ')));
  return Number.isFinite(at) ? at : NaN;
}

/**
 * A whole `playwright test` run of one test that uses no page, with `DEBUG=pw:webserver`: { totalMs,
 * readyMs, afterTestMs, webServerReadyMs, webServerStopMs } where readyMs runs from the CLI's spawn to the
 * test body, and the webServer figures come from Playwright's own log: from "Starting WebServer process"
 * to "WebServer available", and from "Terminating the WebServer" to "Terminated the WebServer" (NaN
 * without a webServer).
 */
export async function runPlaywright({ command, url, env = {}, holdMs = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'es-bench-pw-'));
  const mark = join(dir, 'mark');
  const started = epochMs();
  const child = spawn(process.execPath, [PLAYWRIGHT_CLI, 'test', '-c', PLAYWRIGHT_CONFIG], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...env,
      DEBUG: 'pw:webserver',
      BENCH_PW_MARK: mark,
      BENCH_PW_OUTPUT: join(dir, 'out'),
      BENCH_PW_HOLD_MS: String(holdMs),
      ...(command ? { BENCH_PW_COMMAND: command, BENCH_PW_URL: url } : {}),
    },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const exitedAt = epochMs();
  try {
    if (code !== 0) throw new Error(`playwright test exited with ${code}:\n${log.slice(-2000)}`);
    const markMs = Number(readFileSync(mark, 'utf8'));
    return {
      totalMs: exitedAt - started,
      readyMs: markMs - started,
      afterTestMs: exitedAt - markMs - holdMs,
      webServerReadyMs: webServerLogAt(log, 'WebServer available') - webServerLogAt(log, 'Starting WebServer process'),
      webServerStopMs:
        webServerLogAt(log, 'Terminated the WebServer') - webServerLogAt(log, 'Terminating the WebServer'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export { sleep };
