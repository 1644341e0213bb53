/** Environment variables naming the worker slot, in the order they are looked at, and their first value. */
const SLOT_VARIABLES = [
  { name: 'VITEST_POOL_ID', base: 1 },
  { name: 'JEST_WORKER_ID', base: 1 },
  // Playwright's is 0-based; slot 0 is the run's own, so it is shifted by one.
  { name: 'TEST_PARALLEL_INDEX', base: 0 },
] as const;

/**
 * The 1-based worker slot of the current test worker: `VITEST_POOL_ID`, else `JEST_WORKER_ID`, else
 * Playwright's 0-based `TEST_PARALLEL_INDEX` + 1. Slots are reused by successive test files in the same
 * worker; worker ids are not, which is why servers are keyed by slot. Empty variables count as unset.
 *
 * @param env Environment to read. @default process.env
 * @returns The slot (1 or more), or `undefined` outside a test worker (e.g. in a global setup).
 * @throws `RangeError` when the first variable that is set is not an integer of at least its base
 *   (1, or 0 for `TEST_PARALLEL_INDEX`).
 */
export function detectWorkerSlot(env: NodeJS.ProcessEnv = process.env): number | undefined {
  for (const { name, base } of SLOT_VARIABLES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (!/^\d+$/.test(value) || Number(value) < base) {
      throw new RangeError(`\`${name}\` must be an integer of at least ${base}, got ${JSON.stringify(value)}`);
    }
    return Number(value) + 1 - base;
  }
  return undefined;
}
