// The consumer contract as a Vitest test, defined in each test file that calls it.
import { test as base } from 'vitest';
import { withServers } from 'ephemeral-servers/vitest';
import servers from '../servers.config.mjs';
import { visitServers } from '../../contract/visit.cjs';

const test = withServers(base, servers);

/** Defines the contract test in the calling file. */
export function defineVitestContract(file) {
  test("sees the run-scoped servers and its own slot's worker-scoped ones", async ({ shared, api, inproc }) => {
    await visitServers({ file, slot: Number(process.env.VITEST_POOL_ID), endpoints: { shared, api, inproc } });
  });
}
