// The failure-mode contract (../../contract/hold.cjs) through the Vitest fixtures.
import { test as base } from 'vitest';
import { withServers } from 'ephemeral-servers/vitest';
import servers from '../../contract/failure-contract.config.mjs';
import { holdInsideTest } from '../../contract/hold.cjs';

const test = withServers(base, servers);

test('holds inside a test', async ({ c, w }) => holdInsideTest({ c, w }));
