import type { PortHolder } from '../errors.js';
import type { PortRangeReading } from './platform-backend.js';
import { readPsCommandLine } from './posix-processes.js';
import { parsePortRange, parseReservedPorts } from './port-range-text.js';
import { runLsof, runSysctl } from './posix-tools.js';

/**
 * Sockets and port settings through lsof(8) and sysctl(8), for macOS, the BSDs and Linux without
 * `/proc`. `lsof -F` prints one field per line: `p<pid>`, `c<command>`, `n<address:port>`.
 * lsof sees another user's sockets only as root; without lsof installed, holders go unnamed and
 * allocation falls back to probing.
 */

/** Ports with a listening TCP socket on any address: `lsof -nP -w -iTCP -sTCP:LISTEN -Fn`. */
export async function listLsofListeningPorts(): Promise<Set<number> | undefined> {
  const lines = await runLsof(['-nP', '-w', '-iTCP', '-sTCP:LISTEN', '-Fn']);
  if (lines === undefined) return undefined;
  const ports = new Set<number>();
  for (const line of lines) {
    if (!line.startsWith('n')) continue;
    const port = Number(line.slice(line.lastIndexOf(':') + 1));
    if (Number.isInteger(port) && port > 0) ports.add(port);
  }
  return ports;
}

/**
 * The process listening on TCP `port`: `lsof -nP -w -iTCP:<port> -sTCP:LISTEN -Fpc`, this process
 * preferred when it is one of them; its full command line from `ps` (lsof's `c` is cut at 15
 * characters, and is the fallback).
 */
export async function findLsofPortHolder(port: number): Promise<PortHolder | undefined> {
  const lines = await runLsof(['-nP', '-w', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc']);
  if (lines === undefined) return undefined;
  const holders = new Map<number, string>();
  let pid: number | undefined;
  for (const line of lines) {
    if (line.startsWith('p')) holders.set((pid = Number(line.slice(1))), '');
    else if (line.startsWith('c') && pid !== undefined) holders.set(pid, line.slice(1));
  }
  const chosen = holders.has(process.pid) ? process.pid : holders.keys().next().value;
  if (chosen === undefined) return undefined;
  return { pid: chosen, command: readPsCommandLine(chosen) ?? (holders.get(chosen) || '(unknown)') };
}

/**
 * The ephemeral port range from sysctl: `net.inet.ip.portrange.first`/`.last` on macOS and the BSDs,
 * `net.ipv4.ip_local_port_range` (and `ip_local_reserved_ports`) on Linux (where sysctl reads
 * `/proc/sys`: without `/proc`, `undefined`, and the caller uses the kernel's default).
 */
export function readSysctlPortRange(): PortRangeReading | undefined {
  if (process.platform === 'linux') {
    const bounds = parsePortRange(runSysctl(['net.ipv4.ip_local_port_range'])?.[0]);
    if (bounds === undefined) return undefined;
    return {
      first: bounds[0],
      last: bounds[1],
      reserved: parseReservedPorts(runSysctl(['net.ipv4.ip_local_reserved_ports'])?.[0] ?? ''),
    };
  }
  const bounds = parsePortRange(runSysctl(['net.inet.ip.portrange.first', 'net.inet.ip.portrange.last'])?.join(' '));
  return bounds && { first: bounds[0], last: bounds[1], reserved: [] };
}
