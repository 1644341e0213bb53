import { platformBackend } from '../platform/select-backend.js';

/**
 * Whether this process is in the foreground process group of its controlling terminal: then a Ctrl+C
 * (the terminal's SIGINT) reached every process of the group, the command `run` spawned included, and
 * forwarding it would deliver it twice (a second SIGINT makes Vitest, Jest and Playwright give up their
 * own graceful shutdown). procfs reads `/proc/self/stat` (proc(5): `pgrp`, `tty_nr`, `tpgid`); posix
 * asks `ps -o pgid=,tpgid=` (ps(1)). `false` without a terminal.
 *
 * @throws ProcessTableError when no backend works here.
 */
export function isTerminalForeground(): boolean {
  return platformBackend().isTerminalForeground();
}
