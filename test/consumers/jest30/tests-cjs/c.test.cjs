const { getEndpoint } = require('ephemeral-servers/jest');
require('../../contract/jest-contract.cjs')({ getEndpoint, file: __filename });
