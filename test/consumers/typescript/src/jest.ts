// The Jest adapter, from an ES module (dist/jest*.d.ts).
import { getEndpoint, ENDPOINTS_KEY, SERVERS_GLOBAL, type Endpoint } from 'ephemeral-servers/jest';
import { CONFIG_ENV } from 'ephemeral-servers';
import EphemeralServersEnvironment, {
  EphemeralServersEnvironment as NamedEnvironment,
} from 'ephemeral-servers/jest/environment';
import globalSetup, {
  createGlobalSetup,
  type JestGlobalSetup,
  type JestGlobalSetupOptions,
} from 'ephemeral-servers/jest/global-setup';
import globalTeardown from 'ephemeral-servers/jest/global-teardown';
import { TestEnvironment } from 'jest-environment-node';

const api: Endpoint = getEndpoint('api');
void api;
const names: string[] = [CONFIG_ENV, SERVERS_GLOBAL, String(ENDPOINTS_KEY)];

const options: JestGlobalSetupOptions = { configFile: 'e2e/servers.config.ts' };
const custom: JestGlobalSetup = createGlobalSetup(options);
export const setups: JestGlobalSetup[] = [globalSetup, custom];
export const teardown: () => Promise<void> = globalTeardown;

// The environment is a jest-environment-node TestEnvironment, and can be extended.
export class MyEnvironment extends EphemeralServersEnvironment {
  override async setup(): Promise<void> {
    await super.setup();
    this.global['extra'] = names.length;
  }
}
export const base: typeof TestEnvironment = NamedEnvironment;
