import type { RunOwner } from '../../lifecycle/start-run.js';

/** One global setup's hold on the run of this process. */
export interface JestRunHolder {
  owner: RunOwner;
  /** The global setup function that took it. */
  setup: unknown;
  /** The project config Jest passed to that setup (the global config when it passed none). */
  project: unknown;
}

/**
 * What the global setups hand to the global teardown. Jest runs both in its main process, but may load
 * them as different module instances (one `require`d, one `import`ed; or two bundles of this package),
 * so the hand-over goes through a `globalThis` slot under a registered symbol, not a module variable.
 */
export interface JestRunSlot {
  /** Every setup holding the run, in the order they ran: the first created it, the others joined it. */
  holders: JestRunHolder[];
  /** `process.env.EPHEMERAL_SERVERS_CONFIG` before the first global setup set it; restored at teardown. */
  previousConfigEnv: string | undefined;
}

const SLOT = Symbol.for('ephemeral-servers.jest.run');

type WithSlot = typeof globalThis & { [SLOT]?: JestRunSlot };

/** The run started by the global setups of this process, if any. */
export function getRunSlot(): JestRunSlot | undefined {
  return (globalThis as WithSlot)[SLOT];
}

/** Records (or, with `undefined`, clears) the run of this process. */
export function setRunSlot(slot: JestRunSlot | undefined): void {
  if (slot === undefined) delete (globalThis as WithSlot)[SLOT];
  else (globalThis as WithSlot)[SLOT] = slot;
}
