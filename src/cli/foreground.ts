import { readFileSync } from 'node:fs';

/**
 * Whether this process is in the foreground process group of its controlling terminal: then a Ctrl+C
 * (the terminal's SIGINT) reached every process of the group, the command `run` spawned included, and
 * forwarding it would deliver it twice (a second SIGINT makes Vitest, Jest and Playwright give up their
 * own graceful shutdown). Reads `/proc/self/stat` (proc(5): `pgrp`, `tty_nr`, `tpgid`); `false` where
 * there is no `/proc` or no terminal.
 */
export function isTerminalForeground(): boolean {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  // Fields after the command name, which is in parentheses and may hold spaces: state ppid pgrp session tty_nr tpgid.
  const [, , pgrp, , ttyNr, tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ttyNr !== '0' && pgrp === tpgid;
}
