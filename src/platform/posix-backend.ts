import type { PlatformBackend } from './platform-backend.js';
import { findLsofPortHolder, listLsofListeningPorts, readSysctlPortRange } from './posix-ports.js';
import {
  findPsProcessesWithEnvironment,
  isPsTerminalForeground,
  listPsGroupMembers,
  readPsCommandLine,
  readPsProcesses,
} from './posix-processes.js';

/**
 * The backend for macOS, the BSDs and Linux without `/proc` (or with `EPHEMERAL_SERVERS_PROCFS=0`):
 * ps(1), lsof(8) and sysctl(8), each question one call.
 */
export const posixBackend: PlatformBackend = {
  kind: 'posix',
  readProcess: (pid) => readPsProcesses([pid]).get(pid),
  readProcesses: readPsProcesses,
  listGroupMembers: listPsGroupMembers,
  findProcessesWithEnvironment: findPsProcessesWithEnvironment,
  readCommandLine: readPsCommandLine,
  findPortHolder: findLsofPortHolder,
  listListeningPorts: listLsofListeningPorts,
  readEphemeralPortRange: readSysctlPortRange,
  isTerminalForeground: isPsTerminalForeground,
};
