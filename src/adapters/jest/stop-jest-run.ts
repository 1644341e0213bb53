import { CONFIG_ENV } from './constants.js';
import { getRunSlot, setRunSlot } from './owner-slot.js';

/**
 * Tears down the run the global setup of this process started: every server of the run (the
 * `worker`-scoped ones workers handed over, then the `run`-scoped ones, in reverse dependency order),
 * then the run directory; restores `EPHEMERAL_SERVERS_CONFIG`. Does nothing when there is no run.
 * @throws StopError when some server could not be stopped (every other one still is).
 */
export async function stopJestRun(): Promise<void> {
  const slot = getRunSlot();
  if (slot === undefined) return;
  setRunSlot(undefined);
  try {
    await slot.owner.teardown();
  } finally {
    if (process.env[CONFIG_ENV] === slot.owner.configFile) {
      if (slot.previousConfigEnv === undefined) delete process.env[CONFIG_ENV];
      else process.env[CONFIG_ENV] = slot.previousConfigEnv;
    }
  }
}
