import { resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, test } from 'vitest';
import {
  defineServers,
  validateConfig,
  type NormalizedCommandSpec,
  type NormalizedSpec,
} from '../../src/config/index.js';

const app = () => () => undefined;
const check = () => true;

function specOf(config: unknown, name: string): NormalizedSpec {
  const spec = validateConfig(config).specs.get(name);
  if (spec === undefined) throw new Error(`no spec "${name}"`);
  return spec;
}

function commandSpecOf(config: unknown, name: string): NormalizedCommandSpec {
  const spec = specOf(config, name);
  if (spec.kind !== 'command') throw new Error(`"${name}" is not a command server`);
  return spec;
}

describe('normalization', () => {
  test('a minimal command server gets every default', () => {
    expect(specOf({ api: { command: ['node', 'server.js'] } }, 'api')).toEqual({
      kind: 'command',
      name: 'api',
      scope: 'run',
      host: '127.0.0.1',
      port: { mode: 'auto', range: undefined },
      url: 'http://{host}:{port}',
      readiness: [{ type: 'tcp' }],
      startTimeoutMs: 30_000,
      stopSignal: 'SIGTERM',
      stopTimeoutMs: 5_000,
      dependsOn: [],
      command: ['node', 'server.js'],
      setup: [],
      cwd: process.cwd(),
      env: {},
      user: undefined,
    });
  });

  test('a minimal in-process server is ready once listening (no probes) and has no cwd or env', () => {
    const spec = specOf({ web: { app } }, 'web');
    expect(spec).toMatchObject({ kind: 'in-process', app, readiness: [], port: { mode: 'auto', range: undefined } });
    expect(spec).not.toHaveProperty('cwd');
    expect(spec).not.toHaveProperty('env');
  });

  test('given values are kept; cwd is made absolute', () => {
    const spec = commandSpecOf(
      {
        api: {
          command: ['node', '--port={port}'],
          cwd: 'fixtures/app',
          env: { NODE_ENV: 'test' },
          scope: 'worker',
          host: '::1',
          port: 'auto',
          portRange: [8000, 8999],
          protocol: 'https',
          startTimeoutMs: 0,
          stopSignal: 'SIGINT',
          stopTimeoutMs: 250,
        },
      },
      'api',
    );
    expect(spec).toMatchObject({
      cwd: resolve(process.cwd(), 'fixtures/app'),
      env: { NODE_ENV: 'test' },
      scope: 'worker',
      host: '::1',
      port: { mode: 'auto', range: [8000, 8999] },
      url: 'https://{host}:{port}',
      startTimeoutMs: 0,
      stopSignal: 'SIGINT',
      stopTimeoutMs: 250,
    });
    expect(commandSpecOf({ api: { command: ['x'], cwd: '/srv/app' } }, 'api').cwd).toBe('/srv/app');
  });

  test('env and command are copies, placeholders still in', () => {
    const env = { URL: '{url}' };
    const command = ['x', '{port}'];
    const spec = commandSpecOf({ api: { command, env } }, 'api');
    expect(spec.env).toEqual(env);
    expect(spec.env).not.toBe(env);
    expect(spec.command).toEqual(command);
    expect(spec.command).not.toBe(command);
  });

  test.each(['127.0.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'localhost', 'db.internal', 'my_db', 'example.com.'])(
    'host %j is accepted',
    (host) => {
      expect(specOf({ api: { command: ['x'], host } }, 'api').host).toBe(host);
    },
  );

  describe('port', () => {
    test.each([
      ['omitted', {}, { mode: 'auto', range: undefined }],
      ["'auto' with a range", { port: 'auto', portRange: [3000, 3000] }, { mode: 'auto', range: [3000, 3000] }],
      ['a number', { port: 4000 }, { mode: 'fixed', port: 4000 }],
      ['65535', { port: 65535 }, { mode: 'fixed', port: 65535 }],
    ])('%s on a command server', (_title, fields, expected) => {
      expect(specOf({ api: { command: ['x'], ...fields } }, 'api').port).toEqual(expected);
    });

    test('0 on a command server with a log probe capturing `port` is announced', () => {
      const pattern = /listening on http:\/\/[^:]+:(?<port>\d+)/;
      const spec = specOf({ api: { command: ['x', '--port={port}'], port: 0, readiness: pattern } }, 'api');
      expect(spec.port).toEqual({ mode: 'announced' });
      expect(spec.readiness).toEqual([{ type: 'log', pattern }]);
    });

    test('0 with a port group in a log probe among others, with flags', () => {
      const spec = specOf(
        { api: { command: ['x'], port: 0, readiness: ['tcp', { type: 'log', pattern: /PORT=(?<port>\d+)/giu }] } },
        'api',
      );
      expect(spec.port).toEqual({ mode: 'announced' });
    });

    test('0 on an in-process server means auto', () => {
      expect(specOf({ web: { app, port: 0, portRange: [9000, 9100] } }, 'web').port).toEqual({
        mode: 'auto',
        range: [9000, 9100],
      });
    });
  });

  describe('readiness', () => {
    test.each([
      ["'http'", 'http', [{ type: 'http', path: '/', statuses: undefined, insecure: false }]],
      ["'tcp'", 'tcp', [{ type: 'tcp' }]],
      [
        'an http object',
        { type: 'http', path: '/health?deep=1', statuses: [204], insecure: true },
        [{ type: 'http', path: '/health?deep=1', statuses: [204], insecure: true }],
      ],
      ['a tcp object', { type: 'tcp' }, [{ type: 'tcp' }]],
      [
        'a described custom probe',
        { type: 'custom', check, description: 'db migrated' },
        [{ type: 'custom', check, description: 'db migrated' }],
      ],
      ['a custom object', { type: 'custom', check }, [{ type: 'custom', check, description: 'custom' }]],
      ['a function', check, [{ type: 'custom', check, description: 'custom' }]],
      ['a RegExp', /ready/, [{ type: 'log', pattern: /ready/ }]],
      [
        'an array',
        ['tcp', { type: 'http', path: '/ok' }, /ready/],
        [
          { type: 'tcp' },
          { type: 'http', path: '/ok', statuses: undefined, insecure: false },
          { type: 'log', pattern: /ready/ },
        ],
      ],
    ])('%s expands to probes', (_title, readiness, expected) => {
      expect(specOf({ api: { command: ['x'], readiness } }, 'api').readiness).toEqual(expected);
    });

    test('an in-process server keeps an explicit probe', () => {
      expect(specOf({ web: { app, readiness: 'http' } }, 'web').readiness).toEqual([
        { type: 'http', path: '/', statuses: undefined, insecure: false },
      ]);
    });
  });

  test('dependsOn keeps each server once, in the given order', () => {
    const config = {
      db: { command: ['x'] },
      cache: { command: ['x'] },
      api: { command: ['x'], dependsOn: ['db', 'cache', 'db'] },
    };
    expect(specOf(config, 'api').dependsOn).toEqual(['db', 'cache']);
  });

  test('placeholders naming servers in dependsOn, escaped placeholders and other braces are valid', () => {
    const config = {
      db: { command: ['db', '--port', '{port}', '--host={host}', '--self={url}', '{{PORT}}'] },
      api: {
        command: ['x', '--db={db.url}', '--json={"port":{port}}', '{}', 'a}', '{b', '${HOME}', '{a,b}'],
        env: { DB: '{db.host}:{db.port}', SCRIPT: '(q, r) => { r.end() }' },
        dependsOn: ['db'],
      },
    };
    expect(validateConfig(config).specs.size).toBe(2);
  });

  test('a worker server may depend on a run server, and on another worker server', () => {
    const config = {
      db: { command: ['x'] },
      cache: { command: ['x'], scope: 'worker' },
      api: { command: ['x'], scope: 'worker', dependsOn: ['db', 'cache'] },
    };
    expect(validateConfig(config).order).toEqual(['db', 'cache', 'api']);
  });

  test('objects, arrays and RegExps from another realm (Jest runs tests in vm contexts) are accepted', () => {
    const config: unknown = runInNewContext(`({
      api: { command: ['node', 'server.js'], env: { A: '1' }, port: 0, readiness: [/on (?<port>\\d+)/, { type: 'http' }] },
      web: { app: () => () => undefined, readiness: () => true },
    })`);
    const plan = validateConfig(config);
    expect(plan.specs.get('api')?.port).toEqual({ mode: 'announced' });
    expect(plan.specs.get('web')?.readiness).toMatchObject([{ type: 'custom', description: 'custom' }]);
  });

  test('specs without a prototype are accepted', () => {
    const api = Object.assign(Object.create(null) as object, { command: ['x'] });
    expect(validateConfig({ api }).order).toEqual(['api']);
  });

  test('a config made with defineServers validates', () => {
    const servers = defineServers({
      api: { command: ['node', 'server.js'], readiness: { type: 'http', path: '/health' } },
      web: { app },
    });
    expect([...validateConfig(servers).specs.keys()]).toEqual(['api', 'web']);
  });
});

describe('order', () => {
  const server = (...dependsOn: string[]) => ({ command: ['x'], dependsOn });

  test('independent servers keep config order', () => {
    expect(validateConfig({ c: server(), a: server(), b: server() }).order).toEqual(['c', 'a', 'b']);
  });

  test('dependencies come first', () => {
    expect(validateConfig({ api: server('db'), db: server() }).order).toEqual(['db', 'api']);
  });

  test('parallel branches: each server after its dependencies, the earliest ready in config order first', () => {
    const config = {
      web: server('api', 'auth'),
      api: server('db'),
      auth: server('cache'),
      db: server(),
      cache: server(),
    };
    const { order } = validateConfig(config);
    expect(order).toEqual(['db', 'api', 'cache', 'auth', 'web']);
    for (const [name, spec] of Object.entries(config)) {
      for (const dependency of spec.dependsOn) expect(order.indexOf(dependency)).toBeLessThan(order.indexOf(name));
    }
  });

  test('a diamond', () => {
    expect(
      validateConfig({ top: server('left', 'right'), left: server('base'), right: server('base'), base: server() })
        .order,
    ).toEqual(['base', 'left', 'right', 'top']);
  });

  test('a config already in dependency order keeps its order', () => {
    expect(
      validateConfig({ db: server(), cache: server(), api: server('db', 'cache'), web: server('api') }).order,
    ).toEqual(['db', 'cache', 'api', 'web']);
  });
});
