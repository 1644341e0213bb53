import type { PlatformBackend } from './platform-backend.js';
import { findProcPortHolder, listProcListeningPorts, readProcPortRange } from './procfs-ports.js';
import {
  findProcsWithEnvironment,
  isProcTerminalForeground,
  listProcGroupMembers,
  readProcCommandLine,
  readProcStat,
} from './procfs-processes.js';

/** The Linux backend: everything from `/proc` (proc(5)), one file read per question, no process spawned. */
export const procfsBackend: PlatformBackend = {
  kind: 'procfs',
  readProcess: readProcStat,
  readProcesses(pids) {
    const found = new Map<number, NonNullable<ReturnType<typeof readProcStat>>>();
    for (const pid of pids) {
      const stat = readProcStat(pid);
      if (stat !== undefined) found.set(pid, stat);
    }
    return found;
  },
  listGroupMembers: listProcGroupMembers,
  findProcessesWithEnvironment: findProcsWithEnvironment,
  readCommandLine: readProcCommandLine,
  findPortHolder: findProcPortHolder,
  listListeningPorts: listProcListeningPorts,
  readEphemeralPortRange: readProcPortRange,
  isTerminalForeground: isProcTerminalForeground,
};
