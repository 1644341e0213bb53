/**
 * The launcher's `--allocate-ports <requests JSON>` mode (see `allocatePortsSync`): a port per request,
 * allocated and reserved like every other port (`allocatePort`), the reservations held for the parent
 * process (Playwright's runner, which evaluates its config synchronously and so cannot wait for them);
 * the ports printed on stdout as JSON. On failure, a {@link PortRequestFailure} on stdout and exit
 * code 1. Kept apart from the launcher's server start so that it loads only the ports module (from
 * `src/`, under tsx, this package's tests run this file alone).
 */
import { allocatePort } from '../../ports/allocate-port.js';
import { ALLOCATE_PORTS_ARG, type PortRequest, type PortRequestFailure } from './port-handoff.js';

async function allocateForParent(requests: readonly PortRequest[]): Promise<void> {
  const ports: number[] = [];
  for (const [index, { name, host, range }] of requests.entries()) {
    try {
      ports.push((await allocatePort({ server: name, host, range, holderPid: process.ppid })).port);
    } catch (error) {
      // Whatever was thrown, sent as data: the fields are checked, not assumed.
      const { code, message } = error as { code?: unknown; message?: unknown };
      const failure: PortRequestFailure = {
        index,
        name,
        code: typeof code === 'string' ? code : undefined,
        message: String(message),
      };
      process.stdout.write(JSON.stringify(failure));
      process.exitCode = 1;
      return;
    }
  }
  process.stdout.write(JSON.stringify(ports));
}

/** Whether this process was started in the `--allocate-ports` mode (then it does nothing else). */
export const allocatingPorts = process.argv[2] === ALLOCATE_PORTS_ARG;

if (allocatingPorts) void allocateForParent(JSON.parse(process.argv[3] ?? '[]') as PortRequest[]);
