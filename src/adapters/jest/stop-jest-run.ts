import { StopError } from '../../errors.js';
import { CONFIG_ENV } from './constants.js';
import { getRunSlot, setRunSlot } from './owner-slot.js';

/**
 * Tears down the run the global setups of this process started: every setup that joined it lets go,
 * then the one that created it ends it (the `worker`-scoped servers workers handed over, then the
 * `run`-scoped ones, in reverse dependency order, then the run directory); restores
 * `EPHEMERAL_SERVERS_CONFIG`. Does nothing when there is no run.
 *
 * Jest runs every project's global teardown after every test of every project, and calls one module
 * once however many projects list it, so the first teardown ends the whole run and later ones find
 * nothing to do.
 * @throws StopError when some server could not be stopped (every other one still is).
 */
export async function stopJestRun(): Promise<void> {
  const slot = getRunSlot();
  if (slot === undefined) return;
  setRunSlot(undefined);
  const errors: unknown[] = [];
  try {
    for (const { owner } of [...slot.holders].reverse()) {
      await owner.teardown().catch((error: unknown) => errors.push(error));
    }
  } finally {
    const configFile = slot.holders[0]?.owner.configFile;
    if (process.env[CONFIG_ENV] === configFile) {
      if (slot.previousConfigEnv === undefined) delete process.env[CONFIG_ENV];
      else process.env[CONFIG_ENV] = slot.previousConfigEnv;
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1)
    throw new StopError(errors.flatMap((error) => (error instanceof StopError ? error.errors : [error])));
}
