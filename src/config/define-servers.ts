import type { ServersConfig } from './types.js';

/**
 * Declares a servers config. Returns `config` unchanged (no validation, no copy): it exists for typing,
 * so editors complete the spec fields and the server names stay literal types, which lets adapters type
 * `inject('api')` / `getEndpoint('api')` by name. Validation happens when the servers start (see
 * `validateConfig`), where every problem is reported at once in a `ConfigError`.
 *
 * @example
 * ```ts
 * export const servers = defineServers({
 *   db: { command: ['postgres-test', '--port', '{port}'], readiness: 'tcp' },
 *   api: {
 *     command: ['node', 'dist/server.js'],
 *     env: { PORT: '{port}', DATABASE_URL: 'postgres://{db.host}:{db.port}/test' },
 *     dependsOn: ['db'],
 *     readiness: { type: 'http', path: '/health' },
 *   },
 *   web: { app: () => import('./app.js').then((m) => m.createApp()), scope: 'worker' },
 * });
 * // typeof servers: { readonly db: …; readonly api: …; readonly web: … }, so keyof is 'db' | 'api' | 'web'
 * ```
 */
export function defineServers<const T extends ServersConfig>(config: T): T {
  return config;
}
