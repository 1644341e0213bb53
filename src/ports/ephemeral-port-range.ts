import { readFileSync } from 'node:fs';

/** The ports the kernel hands out for port 0, minus those the administrator reserved. */
export interface EphemeralPortRange {
  /** First port of the range, inclusive. */
  first: number;
  /** Last port of the range, inclusive. */
  last: number;
  /** Whether the administrator keeps `port` out of automatic assignment. */
  isReserved(port: number): boolean;
}

/** IANA's dynamic port range (RFC 6335), the default of macOS and Windows. */
const IANA_DYNAMIC_RANGE: readonly [number, number] = [49_152, 65_535];

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM') return undefined;
    throw error;
  }
}

/** Parses `ip_local_reserved_ports`: a comma-separated list of ports and `first-last` ranges. */
function parseReservedPorts(text: string): Array<readonly [number, number]> {
  const ranges: Array<readonly [number, number]> = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (match === null) continue;
    const first = Number(match[1]);
    ranges.push([first, match[2] === undefined ? first : Number(match[2])]);
  }
  return ranges;
}

let cached: EphemeralPortRange | undefined;

/**
 * The kernel's ephemeral port range, where `listen(0)` (and get-port's fallback) picks ports: on Linux
 * `/proc/sys/net/ipv4/ip_local_port_range` (typically 32768–60999) without the ports listed in
 * `/proc/sys/net/ipv4/ip_local_reserved_ports`; elsewhere IANA's 49152–65535. Read once per process.
 */
export function readEphemeralPortRange(): EphemeralPortRange {
  if (cached !== undefined) return cached;
  const bounds = readSysctl('/proc/sys/net/ipv4/ip_local_port_range')?.trim().split(/\s+/).map(Number);
  const [first, last] =
    bounds !== undefined && bounds.length === 2 && bounds.every(Number.isInteger) && bounds[0]! <= bounds[1]!
      ? (bounds as [number, number])
      : IANA_DYNAMIC_RANGE;
  const reserved = parseReservedPorts(readSysctl('/proc/sys/net/ipv4/ip_local_reserved_ports') ?? '');
  cached = {
    first,
    last,
    isReserved: (port) => reserved.some(([from, to]) => port >= from && port <= to),
  };
  return cached;
}
