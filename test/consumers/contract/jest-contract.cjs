// The consumer contract as a Jest test, shared by every Jest consumer and both module systems. The
// test file passes in what it imported from `ephemeral-servers/jest`: this file lives outside the
// consumer projects, where that import would not resolve to the installed tarball.
'use strict';
const { visitServers } = require('./visit.cjs');

/**
 * Defines the contract test in the calling test file.
 * @param {{ getEndpoint: (name: string) => object, file: string }} jestApi
 */
module.exports = function defineJestContract({ getEndpoint, file }) {
  test("sees the run-scoped servers and its own slot's worker-scoped ones", async () => {
    const endpoints = globalThis.servers;
    expect(Object.isFrozen(endpoints)).toBe(true);
    expect(getEndpoint('api')).toBe(endpoints.api);
    expect(() => getEndpoint('missing')).toThrow(
      expect.objectContaining({ name: 'ServerNotFoundError', code: 'ES_SERVER_NOT_FOUND' }),
    );
    await visitServers({ file, slot: Number(process.env.JEST_WORKER_ID), endpoints });
  });
};
