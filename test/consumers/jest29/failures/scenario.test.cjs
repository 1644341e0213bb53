// The failure scenario (../../contract/failures.cjs) through the Jest environment (Jest 29).
const { getServer } = require('ephemeral-servers/jest');
const scenario = require('../../contract/failures.cjs');

test('1 passes', () => scenario.passing(getServer('steady'), 1));
test('2 victim dies', () => scenario.victimDies(getServer('victim')));
test('3 live fails', () => scenario.liveFails(getServer('steady')));
test('4 passes', () => scenario.passing(getServer('steady'), 4));
