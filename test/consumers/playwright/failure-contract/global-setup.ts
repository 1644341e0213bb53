import { createGlobalSetup } from 'ephemeral-servers/playwright';

export default createGlobalSetup({ configFile: '../contract/failure-contract.config.mjs' });
