import { execFileSync } from 'node:child_process';
import { expandUrlTemplate } from '../../config/placeholders.js';
import type { Endpoint } from '../../endpoint.js';
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
    throw new TypeError(`\`${PORTS_ENV}\` is not JSON (${(error as Error).message}); unset it, it belongs to ephemeral-servers.`, { cause: error });
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

/**
 * Free ports, one per request, allocated synchronously (a Playwright config is evaluated
 * synchronously): a short-lived child process binds every requested host on port 0 at once (so the
 * ports are distinct), prints the ports and exits. The window between this and the server binding
 * the port is the one Playwright's own `webServer` start takes; ephemeral ports are handed out in
 * sequence by the kernel, so a collision needs another process to bind that very port meanwhile.
 *
 * @param hosts One host per port wanted.
 * @throws Error when the child cannot bind (the host does not exist on this machine).
 */
export function allocatePortsSync(hosts: readonly string[]): number[] {
  if (hosts.length === 0) return [];
  const script = `
const net = require('node:net');
const hosts = JSON.parse(process.argv[1]);
Promise.all(hosts.map((host) => new Promise((resolve, reject) => {
  const server = net.createServer();
  server.once('error', reject);
  server.listen(0, host, () => resolve(server));
}))).then((servers) => {
  process.stdout.write(JSON.stringify(servers.map((server) => server.address().port)));
  for (const server of servers) server.close();
}, (error) => { process.stderr.write(String(error && error.message)); process.exit(1); });`;
  try {
    return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(hosts)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as number[];
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`Could not allocate ports on ${hosts.join(', ')}: ${stderr || (error as Error).message}`, { cause: error });
  }
}
