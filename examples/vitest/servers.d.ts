// Types server names for getEndpoint(), inject('ephemeral-servers') and friends.
import type servers from './servers.config.js';

declare module 'ephemeral-servers/vitest' {
  interface Register {
    servers: typeof servers;
  }
}
