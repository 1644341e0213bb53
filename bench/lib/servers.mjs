// The servers the benchmark starts, as argv for spawn and as one shell string for peers that want one.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const FIXTURE = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

// `python3` on PATH may be a version-manager shim (pyenv's costs ~250 ms per start): use the interpreter.
let python;
export function pythonExecutable() {
  python ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  return python;
}

/**
 * Server kinds: `argv(port, tag, flags)` and the log line pattern announcing the port.
 * The tag travels in argv (node) or in the environment (python: see `env(tag)`).
 */
export const SERVERS = {
  node: {
    label: 'node:http',
    argv: (port, tag = '', flags = []) => [process.execPath, FIXTURE, '--port', String(port), ...flags, `--tag=${tag}`],
    env: () => ({}),
    logPattern: /listening on http:\/\/[^:]+:(?<port>\d+)/,
  },
  python: {
    label: 'python3 -m http.server',
    argv: (port) => [pythonExecutable(), '-m', 'http.server', String(port), '--bind', '127.0.0.1'],
    env: (tag = '') => ({ BENCH_TAG: tag }),
    logPattern: /Serving HTTP on \S+ port (?<port>\d+)/,
  },
};

/** A shell command line for argv plus env (paths here have no spaces or quotes). */
export function shellCommand(argv, env = {}) {
  const prefix = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [...prefix, ...argv].join(' ');
}
