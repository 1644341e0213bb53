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
    throw new ConfigError([
      {
        path: '',
        message: `\`${PORTS_ENV}\` in the environment is not JSON (${error.message}): unset it, it belongs to ephemeral-servers (the Playwright runner sets it).`,
      },
    ]);
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
    endpoints[name] = {
      name,
      slot: 0,
      host,
      port,
      url: url === undefined ? `http://${host}:${port}` : expandUrlTemplate(url, { host, port }),
    };
  }
  return endpoints;
}

/** Bind errors that mean the host is not an address of this machine (a config problem), not a lack of ports. */
const NOT_LOCAL_CODES = new Set(['EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'EAFNOSUPPORT']);

/** Argument that makes the launcher script allocate ports instead of starting a server (see {@link allocatePortsSync}). */
export const ALLOCATE_PORTS_ARG = '--allocate-ports';

/** One port wanted from {@link allocatePortsSync}: the server (for errors), the host it must be free on, its preferred range. */
export interface PortRequest {
  name: string;
  host: string;
  range?: readonly [number, number] | undefined;
}

/** What the launcher's {@link ALLOCATE_PORTS_ARG} mode prints on stdout when it fails. */
export interface PortRequestFailure {
  index: number;
  name: string;
  code?: string;
  message: string;
}

/**
 * Free ports, one per server, allocated synchronously (a Playwright config is evaluated
 * synchronously) and reserved like every other port: a short-lived child process (the launcher script
 * with {@link ALLOCATE_PORTS_ARG}) runs `allocatePort` for each request (its `range` first, then below
 * the kernel's ephemeral range, never `listen(0)`: no other process's `listen(0)` or outgoing
 * connection can take the port before the server binds it), each reservation made for this process
 * (`holderPid`: it holds until Playwright's runner exits), and prints the ports. Distinct ports: each is
 * reserved before the next one is looked for. Costs one `node` start of the launcher script.
 *
 * @param servers One entry per port wanted: the server's name (for errors), host and preferred range.
 * @param launcherArgs The argv (after `node`) that runs the launcher script (see `launcherArgs` in define-web-servers.ts).
 * @throws ConfigError naming the server and its `host` when the host is not an address of this
 *   machine (EADDRNOTAVAIL, ENOTFOUND, EAI_AGAIN, EAFNOSUPPORT).
 * @throws PortExhaustedError naming the server when no port could be had, or for any other bind error
 *   (EMFILE, …), with its code.
 */
export function allocatePortsSync(servers: readonly PortRequest[], launcherArgs: readonly string[]): number[] {
  if (servers.length === 0) return [];
  let output: string;
  try {
    output = execFileSync(process.execPath, [...launcherArgs, ALLOCATE_PORTS_ARG, JSON.stringify(servers)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stdout = (error as { stdout?: unknown }).stdout;
    // No failure report on stdout: the child did not run (spawn error), which is not ours to explain.
    if (typeof stdout !== 'string' || !stdout.startsWith('{')) throw error;
    const failure = JSON.parse(stdout) as PortRequestFailure;
    const { name, host } = servers[failure.index]!;
    if (failure.code !== undefined && NOT_LOCAL_CODES.has(failure.code)) {
      throw new ConfigError([
        {
          server: name,
          path: 'host',
          message: `${JSON.stringify(host)} is not an address of this machine (${failure.message}). Use 127.0.0.1, ::1, localhost or the address of a local interface.`,
        },
      ]);
    }
    throw new PortExhaustedError(
      name,
      1,
      `allocating a port on ${host} for its webServer entry failed: ${failure.message}`,
    );
  }
  return JSON.parse(output) as number[];
}
