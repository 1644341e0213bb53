// A TypeScript servers config, loaded by ephemeral-servers (jiti), not by Jest's transform.
import type { ServersConfig } from 'ephemeral-servers';
import contract from '../contract/servers.config.mjs';

const config: ServersConfig = contract;
export default config;
