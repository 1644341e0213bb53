import { createGlobalSetup } from 'ephemeral-servers/playwright';

export default createGlobalSetup({ configFile: '../contract/failures.config.mjs' });
