import { execFileSync } from 'node:child_process';
import { expandUrlTemplate } from '../../config/placeholders.js';
import type { Endpoint } from '../../endpoint.js';
import { ConfigError, PortExhaustedError } from '../../errors.js';
import { portEnvOf } from './launch-payload.js';

/**
 * Environment variable through which the runner hands the ports it allocated to the processes that
 * re-import the Playwright config (workers, the out-of-process loader): JSON `{ pid, servers: { name:
 * { host, port } } }`, `pid` being the runner's.
 */
export const PORTS_ENV = 'EPHEMERAL_SERVERS_PLAYWRIGHT_PORTS';

/** What {@link PORTS_ENV} holds. */
export interface PortHandoff {
  /** Pid of the runner process that allocated the ports. */
  pid: number;
  /** By server: its host, the port the runner allocated (0: the server announces its own), its URL template. */
  servers: Record<string, { host: string; port: number; url?: string }>;
}

/** The handoff of this process's runner: written by this process, or inherited from its parent. */
export function readHandoff(env: NodeJS.ProcessEnv = process.env): PortHandoff | undefined {
  const text = env[PORTS_ENV];
  if (text === undefined || text === '') return undefined;
  let parsed: PortHandoff;
  try {
    parsed = JSON.parse(text) as PortHandoff;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new ConfigError([{ path: '', message: `\`${PORTS_ENV}\` in the environment is not JSON (${error.message}): unset it, it belongs to ephemeral-servers (the Playwright runner sets it).` }]);
  }
  // A value left in the environment by an outer, unrelated run is not ours.
  return parsed.pid === process.pid || parsed.pid === process.ppid ? parsed : undefined;
}

/**
 * Endpoints of the servers `defineWebServers` handed to Playwright's `webServer`, as this process sees
 * them: in a worker, each at the port its launcher reported (Playwright sets it in the runner's
 * environment, which workers inherit), else at the port the runner allocated. Empty without a handoff.
 */
export function webServerEndpoints(env: NodeJS.ProcessEnv = process.env): Record<string, Endpoint> {
  const endpoints: Record<string, Endpoint> = {};
  for (const [name, { host, port: allocated, url }] of Object.entries(readHandoff(env)?.servers ?? {})) {
    const reported = Number(env[portEnvOf(name)]);
    const port = Number.isInteger(reported) && reported > 0 ? reported : allocated;
    endpoints[name] = { name, slot: 0, host, port, url: url === undefined ? `http://${host}:${port}` : expandUrlTemplate(url, { host, port }) };
  }
  return endpoints;
}

/** Bind errors that mean the host is not an address of this machine (a config problem), not a lack of ports. */
const NOT_LOCAL_CODES = new Set(['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAFNOSUPPORT']);

/**
 * Free ports, one per server, allocated synchronously (a Playwright config is evaluated
 * synchronously): a short-lived child process binds every requested host on port 0 at once (so the
 * ports are distinct), prints the ports and exits. The window between this and the server binding
 * the port is the one Playwright's own `webServer` start takes; ephemeral ports are handed out in
 * sequence by the kernel, so a collision needs another process to bind that very port meanwhile.
 * Costs one `node` start (see docs/playwright.md for figures).
 *
 * @param servers One entry per port wanted: the server's name (for errors) and host.
 * @throws ConfigError naming the server and its `host` when the host is not an address of this
 *   machine (EADDRNOTAVAIL, ENOTFOUND, EAI_AGAIN, EAFNOSUPPORT).
 * @throws PortExhaustedError naming the server for any other bind error (EMFILE, …), with its code.
 */
export function allocatePortsSync(servers: readonly { name: string; host: string }[]): number[] {
  if (servers.length === 0) return [];
  const script = `
const net = require('node:net');
const hosts = JSON.parse(process.argv[1]);
Promise.all(hosts.map((host, index) => new Promise((resolve, reject) => {
  const server = net.createServer();
  server.once('error', (error) => reject({ index, code: error.code, message: error.message }));
  server.listen(0, host, () => resolve(server));
}))).then((servers) => {
  process.stdout.write(JSON.stringify(servers.map((server) => server.address().port)));
  for (const server of servers) server.close();
}, (failure) => { process.stdout.write(JSON.stringify(failure)); process.exit(1); });`;
  const hosts = servers.map((server) => server.host);
  let output: string;
  try {
    output = execFileSync(process.execPath, ['-e', script, JSON.stringify(hosts)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stdout = (error as { stdout?: unknown }).stdout;
    // No failure report on stdout: the child did not run (spawn error), which is not ours to explain.
    if (typeof stdout !== 'string' || !stdout.startsWith('{')) throw error;
    const failure = JSON.parse(stdout) as { index: number; code?: string; message: string };
    const { name, host } = servers[failure.index]!;
    if (failure.code !== undefined && NOT_LOCAL_CODES.has(failure.code)) {
      throw new ConfigError([
        { server: name, path: 'host', message: `${JSON.stringify(host)} is not an address of this machine (${failure.message}). Use 127.0.0.1, ::1, localhost or the address of a local interface.` },
      ]);
    }
    throw new PortExhaustedError(name, 1, `binding port 0 on ${host} for its webServer entry failed: ${failure.message}`);
  }
  return JSON.parse(output) as number[];
}
