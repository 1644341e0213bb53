const { getServer, getServers } = require('ephemeral-servers/jest');
require('../../contract/jest-contract.cjs')({ getServer, getServers, file: __filename });
