import { expect, expectTypeOf, test } from 'vitest';
import { defineServers, type ServerSpec } from '../../src/config/index.js';

test('returns the config itself', () => {
  const config = { api: { command: ['node', 'server.js'] } };
  expect(defineServers(config)).toBe(config);
});

test('keeps server names as literal types', () => {
  const servers = defineServers({
    db: { command: ['postgres-test', '--port', '{port}'] },
    api: { command: ['node', 'server.js'], dependsOn: ['db'], readiness: { type: 'http', path: '/health' } },
    web: { app: () => () => undefined, scope: 'worker' },
  });
  expectTypeOf<keyof typeof servers>().toEqualTypeOf<'db' | 'api' | 'web'>();
  expectTypeOf(servers.api).toExtend<ServerSpec>();
  expectTypeOf(servers.web.scope).toEqualTypeOf<'worker'>();
});

test('rejects specs of the wrong shape at compile time', () => {
  // @ts-expect-error `command` is an argv array, not a string
  defineServers({ api: { command: 'node server.js' } });
  // @ts-expect-error a spec has `command` or `app`, not both
  defineServers({ api: { command: ['x'], app: () => () => undefined } });
});
