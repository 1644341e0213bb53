// The failure scenario (../../contract/failures.cjs) through the Vitest fixtures.
import { test as base } from 'vitest';
import { withServers } from 'ephemeral-servers/vitest';
import servers from '../../contract/failures.config.mjs';
import scenario from '../../contract/failures.cjs';

const test = withServers(base, servers);

test('1 passes', async ({ steady }) => scenario.passing(steady, 1));
test('2 victim dies', async ({ victim }) => scenario.victimDies(victim));
test('3 live fails', async ({ steady }) => scenario.liveFails(steady));
test('4 passes', async ({ steady }) => scenario.passing(steady, 4));
