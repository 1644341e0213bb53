/**
 * `ephemeral-servers/jest/global-teardown`: Jest `globalTeardown` module, the pair of
 * `ephemeral-servers/jest/global-setup`.
 */
import { stopJestRun } from './stop-jest-run.js';

/**
 * Jest `globalTeardown`: stops every server of the run started by the global setup in this process
 * (the `worker`-scoped instances of every slot, then the `run`-scoped ones, in reverse dependency
 * order), removes the run directory and unsets what the setup exported. Does nothing when the global
 * setup did not start a run (e.g. it failed, and already cleaned up after itself).
 * @throws StopError when some server could not be stopped (every other one still is); Jest reports it.
 */
export default async function globalTeardown(): Promise<void> {
  await stopJestRun();
}
