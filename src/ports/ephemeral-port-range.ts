import { platformBackend } from '../platform/select-backend.js';

/** The ports the kernel hands out for port 0, minus those the administrator reserved. */
export interface EphemeralPortRange {
  /** First port of the range, inclusive. */
  first: number;
  /** Last port of the range, inclusive. */
  last: number;
  /** Whether the administrator keeps `port` out of automatic assignment. */
  isReserved(port: number): boolean;
}

/** Linux's default `ip_local_port_range` (kernel ≥ 4.x), used where the range cannot be read. */
const LINUX_DEFAULT_RANGE: readonly [number, number] = [32_768, 60_999];
/** IANA's dynamic port range (RFC 6335), the default of macOS, the BSDs and Windows. */
const IANA_DYNAMIC_RANGE: readonly [number, number] = [49_152, 65_535];

let cached: EphemeralPortRange | undefined;

/**
 * The kernel's ephemeral port range, where `listen(0)` (and get-port's fallback) picks ports, through
 * the platform backend: procfs reads `/proc/sys/net/ipv4/ip_local_port_range` (typically 32768–60999)
 * without the ports listed in `ip_local_reserved_ports`; posix asks sysctl(8)
 * (`net.inet.ip.portrange.first`/`last` on macOS and the BSDs, `net.ipv4.ip_local_port_range` on
 * Linux). Where neither answers, the system's default: 32768–60999 on Linux, IANA's 49152–65535
 * elsewhere. Read once per process.
 *
 * @throws ProcessTableError when no backend works here.
 */
export function readEphemeralPortRange(): EphemeralPortRange {
  if (cached !== undefined) return cached;
  const reading = platformBackend().readEphemeralPortRange();
  const [first, last] =
    reading === undefined
      ? process.platform === 'linux'
        ? LINUX_DEFAULT_RANGE
        : IANA_DYNAMIC_RANGE
      : [reading.first, reading.last];
  const reserved = reading?.reserved ?? [];
  cached = {
    first,
    last,
    isReserved: (port) => reserved.some(([from, to]) => port >= from && port <= to),
  };
  return cached;
}
