/**
 * The text of Linux's port settings (`ip_local_port_range`, `ip_local_reserved_ports`), as `/proc/sys`
 * and `sysctl -n` print them alike; shared by both backends.
 */

/** Parses `ip_local_reserved_ports`: a comma-separated list of ports and `first-last` ranges. */
export function parseReservedPorts(text: string): Array<readonly [number, number]> {
  const ranges: Array<readonly [number, number]> = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (match === null) continue;
    const first = Number(match[1]);
    ranges.push([first, match[2] === undefined ? first : Number(match[2])]);
  }
  return ranges;
}

/** Parses `ip_local_port_range` (`first<whitespace>last`); `undefined` when it is not two ordered ports. */
export function parsePortRange(text: string | undefined): readonly [number, number] | undefined {
  const bounds = text?.trim().split(/\s+/).map(Number);
  return bounds !== undefined && bounds.length === 2 && bounds.every(Number.isInteger) && bounds[0]! <= bounds[1]!
    ? [bounds[0]!, bounds[1]!]
    : undefined;
}
