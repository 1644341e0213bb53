// The consumer contract, given the whole of `ephemeral-servers/jest` (the contract takes what it reads).
require('../../../contract/jest-contract.cjs')({ ...require('ephemeral-servers/jest'), file: __filename });
