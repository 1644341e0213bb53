// The failure scenario (../../contract/failures.cjs) through the Jest environment (Jest 29).
const { getEndpoint } = require('ephemeral-servers/jest');
const scenario = require('../../contract/failures.cjs');

test('1 passes', () => scenario.passing(getEndpoint('steady'), 1));
test('2 victim dies', () => scenario.victimDies(getEndpoint('victim')));
test('3 live fails', () => scenario.liveFails(getEndpoint('steady')));
test('4 passes', () => scenario.passing(getEndpoint('steady'), 4));
