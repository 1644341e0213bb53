import { appendFileSync, readFileSync } from 'node:fs';
import type { Endpoint } from 'ephemeral-servers';
import { withServers } from 'ephemeral-servers/vitest';
import { test as base, expect, inject } from 'vitest';
import servers from '../servers.config.js';

/** `test` with one fixture per server (its endpoint for this worker slot) and `servers`. */
export const test = withServers(base, servers);
export { expect };

/**
 * Checks the run's state file lists exactly what runs: every entry's process is alive, and this slot's
 * entries (and the run's) are exactly the servers it uses, running. Returns the pids it lists.
 */
export async function expectStateMatches(slot: number, mine: Endpoint[]): Promise<number[]> {
  // The state file is plain JSON any tool may read (replaced by an atomic rename: a read sees a whole file).
  const state = JSON.parse(readFileSync(inject('ephemeral-servers').stateFile, 'utf8')) as {
    servers: Record<string, { pid: number; status: string; endpoint: Endpoint }>;
  };
  // Every recorded process is alive (another slot's server may still be `starting`: it is recorded
  // as soon as it is spawned, so that nothing can escape the teardown).
  for (const entry of Object.values(state.servers)) expect(() => process.kill(entry.pid, 0)).not.toThrow();
  const slotKeys = Object.keys(state.servers).filter((key) => key.endsWith(`@${slot}`) || key.endsWith('@0'));
  expect(slotKeys.sort()).toEqual(mine.map((e) => `${e.name}@${e.slot}`).sort());
  for (const endpoint of mine) {
    expect(state.servers[`${endpoint.name}@${endpoint.slot}`]).toMatchObject({ status: 'running', endpoint });
  }
  return Object.values(state.servers).map((entry) => entry.pid);
}

/** Appends what this file saw to $EXAMPLE_REPORT (read by the project's own test of this example). */
export function report(file: string, seen: Record<string, unknown>): void {
  if (process.env.EXAMPLE_REPORT)
    appendFileSync(process.env.EXAMPLE_REPORT, `${JSON.stringify({ file, pid: process.pid, ...seen })}\n`);
}
