// The consumer contract as a Vitest test, plus what projects must agree on: `inject` names the run the
// fixtures use (the same state file, the same run-scoped endpoint).
import assert from 'node:assert/strict';
import { inject, test as base } from 'vitest';
import { withServers } from 'ephemeral-servers/vitest';
import servers from '../servers.config.mjs';
import { visitServers } from '../../contract/visit.cjs';

const test = withServers(base, servers);

/** Defines the contract test in the calling file. */
export function defineVitestContract(file) {
  test("sees the run-scoped servers and its own slot's worker-scoped ones; inject agrees", async ({
    shared,
    api,
    inproc,
  }) => {
    const provided = inject('ephemeral-servers');
    assert.ok(provided, "inject('ephemeral-servers') is undefined in this project");
    assert.equal(provided.stateFile, process.env.EPHEMERAL_SERVERS_STATE, 'inject and the fixtures name the same run');
    assert.deepEqual(provided.endpoints.shared, shared, 'inject and the fixtures give the same run-scoped server');
    await visitServers({ file, slot: Number(process.env.VITEST_POOL_ID), endpoints: { shared, api, inproc } });
  });
}
