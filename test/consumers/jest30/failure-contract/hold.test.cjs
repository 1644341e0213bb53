// The failure-mode contract (../../contract/hold.cjs) through the Jest environment (its `servers` global).
const { holdInsideTest } = require('../../contract/hold.cjs');

test('holds inside a test', () => holdInsideTest({ c: globalThis.servers.c, w: globalThis.servers.w }), 30_000);
