import type { RunOwner } from '../../lifecycle/start-run.js';

/**
 * What the global setup hands to the global teardown. Jest runs both in its main process, but may load
 * them as different module instances (one `require`d, one `import`ed; or two bundles of this package),
 * so the hand-over goes through a `globalThis` slot under a registered symbol, not a module variable.
 */
export interface JestRunSlot {
  owner: RunOwner;
  /** `process.env.EPHEMERAL_SERVERS_CONFIG` before the global setup set it; restored at teardown. */
  previousConfigEnv: string | undefined;
}

const SLOT = Symbol.for('ephemeral-servers.jest.run');

type WithSlot = typeof globalThis & { [SLOT]?: JestRunSlot };

/** The run started by the global setup of this process, if any. */
export function getRunSlot(): JestRunSlot | undefined {
  return (globalThis as WithSlot)[SLOT];
}

/** Records (or, with `undefined`, clears) the run of this process. */
export function setRunSlot(slot: JestRunSlot | undefined): void {
  if (slot === undefined) delete (globalThis as WithSlot)[SLOT];
  else (globalThis as WithSlot)[SLOT] = slot;
}
