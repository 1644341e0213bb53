import { describe, expect, test } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { ConfigError, type ConfigIssue } from '../../src/errors.js';

/** The issues of the ConfigError that validateConfig throws for `config`. */
function issuesOf(config: unknown): readonly ConfigIssue[] {
  try {
    validateConfig(config);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('validateConfig accepted the config');
}

interface Expected {
  server?: string;
  path: string;
  /** Fragments the message must contain. */
  message: string | readonly string[];
}

function matching(expected: Expected) {
  const fragments = typeof expected.message === 'string' ? [expected.message] : expected.message;
  return {
    server: expected.server,
    path: expected.path,
    message: expect.toSatisfy((message: string) => fragments.every((fragment) => message.includes(fragment))),
  };
}

/** Asserts that `config` has exactly these issues, in this order. */
function expectIssues(config: unknown, ...expected: Expected[]): void {
  expect(issuesOf(config)).toEqual(expected.map(matching));
}

const app = () => () => undefined;
const check = () => true;

type Case = [title: string, config: unknown, expected: Expected];

function runCases(cases: readonly Case[]): void {
  test.each(cases)('%s', (_title, config, expected) => expectIssues(config, expected));
}

describe('the config as a whole', () => {
  runCases([
    ['null', null, { path: '', message: ['must be an object of server name → spec', 'received null'] }],
    ['an array', [{ command: ['x'] }], { path: '', message: 'must be an object' }],
    ['a string', 'api', { path: '', message: 'received "api"' }],
    ['a Map', new Map([['api', { command: ['x'] }]]), { path: '', message: 'received an object' }],
    ['no server', {}, { path: '', message: 'declares no server' }],
  ]);
});

describe('connection URLs, scratch directories, setup steps and user', () => {
  runCases([
    [
      'a url without a scheme',
      { db: { command: ['x'], url: '{host}:{port}' } },
      { server: 'db', path: 'url', message: ['must start with a scheme', "'redis://{host}:{port}/0'"] },
    ],
    [
      'url with protocol',
      { db: { command: ['x'], url: 'https://{host}:{port}', protocol: 'https' } },
      { server: 'db', path: 'protocol', message: 'not combined with `url`' },
    ],
    [
      '{url} inside url',
      { db: { command: ['x'], url: 'redis://{url}' } },
      { server: 'db', path: 'url', message: 'which is this URL itself' },
    ],
    [
      'another server in url',
      { a: { command: ['x'] }, db: { command: ['x'], url: 'redis://{a.host}:{port}', dependsOn: ['a'] } },
      { server: 'db', path: 'url', message: 'of this server only' },
    ],
    [
      '{tmpDir} in an in-process url',
      { web: { app, url: 'http://{host}:{port}{tmpDir}' } },
      { server: 'web', path: 'url', message: 'only a command server has a scratch directory' },
    ],
    [
      '{tmpDir} of another server',
      { a: { command: ['x'] }, b: { command: ['{a.tmpDir}'], dependsOn: ['a'] } },
      { server: 'b', path: 'command[0]', message: 'unknown placeholder `{a.tmpDir}`' },
    ],
    [
      'an http probe on a redis url',
      { cache: { command: ['x'], url: 'redis://{host}:{port}/0', readiness: 'http' } },
      {
        server: 'cache',
        path: 'readiness',
        message: [
          "this server's `url` is redis://",
          "{ type: 'http', url: 'http://{host}:{port}/health' }",
          "use 'tcp'",
        ],
      },
    ],
    [
      'an http probe with path and url',
      { a: { command: ['x'], readiness: { type: 'http', path: '/x', url: 'http://{host}:{port}/x' } } },
      { server: 'a', path: 'readiness.url', message: 'has both `path` and `url`' },
    ],
    [
      'an http probe url that is not http',
      { a: { command: ['x'], readiness: { type: 'http', url: 'redis://{host}:{port}' } } },
      { server: 'a', path: 'readiness.url', message: 'an http:// or https:// URL' },
    ],
    [
      '{tmpDir} in an http probe url',
      { a: { command: ['x'], readiness: { type: 'http', url: 'http://{host}:{port}/{tmpDir}' } } },
      { server: 'a', path: 'readiness.url', message: '{host}, {port} of this server only' },
    ],
    [
      'setup that is not an array of argv arrays',
      { db: { command: ['x'], setup: ['initdb'] } },
      { server: 'db', path: 'setup[0]', message: 'must be an argv array' },
    ],
    [
      'an empty setup step',
      { db: { command: ['x'], setup: [[]] } },
      { server: 'db', path: 'setup[0]', message: 'must not be empty' },
    ],
    [
      'an unknown placeholder in setup',
      { db: { command: ['x'], setup: [['initdb', '-D', '{tmpdir}/data']] } },
      { server: 'db', path: 'setup[0][2]', message: 'Did you mean `{tmpDir}`?' },
    ],
    [
      'setup on an in-process server',
      { web: { app, setup: [['x']] } },
      { server: 'web', path: 'setup', message: 'applies to command servers only' },
    ],
    [
      'user on an in-process server',
      { web: { app, user: 'postgres' } },
      { server: 'web', path: 'user', message: 'applies to command servers only' },
    ],
    [
      'a user that is neither a name nor a uid',
      { db: { command: ['x'], user: -1 } },
      { server: 'db', path: 'user', message: "a user name such as 'postgres', or a uid" },
    ],
  ]);

  test('url, setup, user and a {tmpDir} cwd are carried into the plan; an http probe with its own url passes', () => {
    const plan = validateConfig({
      db: {
        command: ['postgres', '-k', '{tmpDir}'],
        setup: [['initdb', '-D', '{tmpDir}/data']],
        cwd: '{tmpDir}',
        url: 'postgresql://postgres@{host}:{port}/postgres',
        user: 'postgres',
        readiness: [{ type: 'http', url: 'http://{host}:{port}/health' }],
      },
    });
    expect(plan.specs.get('db')).toMatchObject({
      url: 'postgresql://postgres@{host}:{port}/postgres',
      setup: [['initdb', '-D', '{tmpDir}/data']],
      cwd: '{tmpDir}',
      user: 'postgres',
      readiness: [{ type: 'http', url: 'http://{host}:{port}/health' }],
    });
  });
});

describe('server names and kinds', () => {
  runCases([
    [
      'a name with a dot',
      { 'my.api': { command: ['x'] } },
      { server: 'my.api', path: '', message: ['invalid name', 'letters, digits, "_" and "-"'] },
    ],
    ['a name with a space', { 'my api': { command: ['x'] } }, { server: 'my api', path: '', message: 'invalid name' }],
    [
      'a spec that is not an object',
      { api: ['node', 'x'] },
      { server: 'api', path: '', message: 'must be an object with `command`' },
    ],
    ['neither command nor app', { api: { port: 3000 } }, { server: 'api', path: '', message: 'needs `command`' }],
    [
      'both command and app',
      { api: { command: ['x'], app } },
      { server: 'api', path: '', message: 'has both `command` and `app`' },
    ],
    ['app that is not a function', { api: { app: {} } }, { server: 'api', path: 'app', message: 'must be a function' }],
  ]);
});

describe('unknown fields', () => {
  runCases([
    [
      'a near miss',
      { api: { command: ['x'], stopTimeout: 100 } },
      { server: 'api', path: 'stopTimeout', message: 'Did you mean `stopTimeoutMs`?' },
    ],
    [
      'a transposition',
      { api: { command: ['x'], hsot: 'localhost' } },
      { server: 'api', path: 'hsot', message: 'Did you mean `host`?' },
    ],
    [
      'a common alias',
      { api: { command: ['x'], cmd: ['y'] } },
      { server: 'api', path: 'cmd', message: 'Did you mean `command`?' },
    ],
    [
      'another alias',
      { api: { command: ['x'], healthcheck: 'http' } },
      { server: 'api', path: 'healthcheck', message: 'Did you mean `readiness`?' },
    ],
    [
      'nothing close',
      { api: { command: ['x'], banana: 1 } },
      { server: 'api', path: 'banana', message: ['unknown field', 'Known fields: command, app, cwd'] },
    ],
    [
      'in a probe object',
      { api: { command: ['x'], readiness: [{ type: 'http', pth: '/health' }] } },
      { server: 'api', path: 'readiness[0].pth', message: 'Did you mean `path`?' },
    ],
  ]);
});

describe('command, cwd and env', () => {
  runCases([
    [
      'command as a string',
      { api: { command: 'node server.js' } },
      { server: 'api', path: 'command', message: ['argv array', 'not a string', 'never run through a shell'] },
    ],
    ['an empty command', { api: { command: [] } }, { server: 'api', path: 'command', message: 'must not be empty' }],
    [
      'a non-string argument',
      { api: { command: ['node', 'x', 3000] } },
      { server: 'api', path: 'command[2]', message: ['must be a string', 'received 3000'] },
    ],
    [
      'an empty executable',
      { api: { command: ['', 'x'] } },
      { server: 'api', path: 'command[0]', message: 'must name the executable' },
    ],
    [
      'an empty cwd',
      { api: { command: ['x'], cwd: '' } },
      { server: 'api', path: 'cwd', message: 'must not be empty' },
    ],
    [
      'cwd on an in-process server',
      { api: { app, cwd: '/tmp' } },
      { server: 'api', path: 'cwd', message: 'applies to command servers only' },
    ],
    [
      'env that is not an object',
      { api: { command: ['x'], env: ['A=1'] } },
      { server: 'api', path: 'env', message: 'must be an object of environment variables' },
    ],
    [
      'a number env value',
      { api: { command: ['x'], env: { PORT: 3000 } } },
      { server: 'api', path: 'env.PORT', message: ['must be a string', 'write "3000"'] },
    ],
    [
      'an env name with "="',
      { api: { command: ['x'], env: { 'A=B': '1' } } },
      { server: 'api', path: 'env.A=B', message: 'not a valid environment variable name' },
    ],
    [
      'env on an in-process server',
      { api: { app, env: { A: '1' } } },
      { server: 'api', path: 'env', message: 'applies to command servers only' },
    ],
  ]);
});

describe('host, port and portRange', () => {
  runCases([
    [
      'an empty host',
      { api: { command: ['x'], host: '' } },
      { server: 'api', path: 'host', message: 'must not be empty' },
    ],
    [
      'a numeric host',
      { api: { command: ['x'], host: 127 } },
      { server: 'api', path: 'host', message: 'must be a string' },
    ],
    [
      'a URL as host',
      { api: { command: ['x'], host: 'http://localhost' } },
      { server: 'api', path: 'host', message: 'not a URL' },
    ],
    [
      'a bracketed IPv6 host',
      { api: { command: ['x'], host: '[::1]' } },
      { server: 'api', path: 'host', message: 'without brackets: "::1"' },
    ],
    [
      'a host with a port',
      { api: { command: ['x'], host: 'localhost:3000' } },
      { server: 'api', path: 'host', message: 'Use `host: "localhost"` and `port: 3000`' },
    ],
    [
      'a host with a space',
      { api: { command: ['x'], host: 'my host' } },
      { server: 'api', path: 'host', message: 'must be an IPv4 address' },
    ],
    [
      'a port above 65535',
      { api: { command: ['x'], port: 70000 } },
      { server: 'api', path: 'port', message: ["'auto' or an integer from 0 to 65535", 'received 70000'] },
    ],
    ['a negative port', { api: { command: ['x'], port: -1 } }, { server: 'api', path: 'port', message: 'received -1' }],
    [
      'a fractional port',
      { api: { command: ['x'], port: 80.5 } },
      { server: 'api', path: 'port', message: 'received 80.5' },
    ],
    [
      'a string port',
      { api: { command: ['x'], port: '3000' } },
      { server: 'api', path: 'port', message: 'received "3000"' },
    ],
    [
      'port 0 on a command server without a log probe',
      { api: { command: ['x', '--port={port}'], port: 0 } },
      {
        server: 'api',
        path: 'port',
        message: ['add a `log` readiness probe', 'named group `port`', '(?<port>\\d+)', 'Or omit `port`'],
      },
    ],
    [
      'port 0 on a command server whose log probe has no port group',
      { api: { command: ['x'], port: 0, readiness: ['tcp', /listening on (\d+)/] } },
      {
        server: 'api',
        path: 'port',
        message: ['named group `port`', 'the log probe at `readiness[1]` has no `port` group'],
      },
    ],
    [
      'a portRange out of range',
      { api: { command: ['x'], portRange: [0, 10] } },
      { server: 'api', path: 'portRange[0]', message: 'an integer from 1 to 65535' },
    ],
    [
      'a reversed portRange',
      { api: { command: ['x'], portRange: [9000, 8000] } },
      { server: 'api', path: 'portRange', message: 'first ≤ last' },
    ],
    [
      'a portRange of one number',
      { api: { command: ['x'], portRange: [8000] } },
      { server: 'api', path: 'portRange', message: 'a pair [first, last]' },
    ],
    [
      'a portRange with a fixed port',
      { api: { command: ['x'], port: 8080, portRange: [8000, 8999] } },
      { server: 'api', path: 'portRange', message: 'cannot be combined with a fixed `port: 8080`' },
    ],
    [
      'a portRange with port 0 on a command server',
      { api: { command: ['x'], port: 0, portRange: [8000, 8999], readiness: /on (?<port>\d+)/ } },
      { server: 'api', path: 'portRange', message: 'does not apply with `port: 0`' },
    ],
  ]);
});

describe('port 0 and invalid probes', () => {
  test('an invalid log probe is reported, without also asking for a log probe', () => {
    expectIssues(
      { api: { command: ['x'], port: 0, readiness: { type: 'log', patern: /on (?<port>\d+)/ } } },
      { server: 'api', path: 'readiness.pattern', message: 'must be a RegExp' },
      { server: 'api', path: 'readiness.patern', message: 'Did you mean `pattern`?' },
    );
  });

  test('another invalid probe does not hide the missing log probe', () => {
    expectIssues(
      { api: { command: ['x'], port: 0, readiness: { type: 'http', path: 'health' } } },
      { server: 'api', path: 'readiness.path', message: 'starting with "/"' },
      { server: 'api', path: 'port', message: 'named group `port`' },
    );
  });
});

describe('scope, protocol, signal and timeouts', () => {
  runCases([
    [
      'an unknown scope',
      { api: { command: ['x'], scope: 'global' } },
      { server: 'api', path: 'scope', message: ["'run' or 'worker'", 'received "global"'] },
    ],
    [
      'an unknown protocol',
      { api: { command: ['x'], protocol: 'ftp' } },
      { server: 'api', path: 'protocol', message: "'http' or 'https'" },
    ],
    [
      'a signal without SIG',
      { api: { command: ['x'], stopSignal: 'TERM' } },
      { server: 'api', path: 'stopSignal', message: "Did you mean 'SIGTERM'?" },
    ],
    [
      'a misspelt signal',
      { api: { command: ['x'], stopSignal: 'SIGINTT' } },
      { server: 'api', path: 'stopSignal', message: "Did you mean 'SIGINT'?" },
    ],
    [
      'a signal number',
      { api: { command: ['x'], stopSignal: 15 } },
      { server: 'api', path: 'stopSignal', message: 'must be a signal name' },
    ],
    [
      'a negative startTimeoutMs',
      { api: { command: ['x'], startTimeoutMs: -1 } },
      { server: 'api', path: 'startTimeoutMs', message: 'whole number of milliseconds, 0 or more' },
    ],
    [
      'a fractional stopTimeoutMs',
      { api: { command: ['x'], stopTimeoutMs: 1.5 } },
      { server: 'api', path: 'stopTimeoutMs', message: 'received 1.5' },
    ],
    [
      'a timeout as a string',
      { api: { command: ['x'], startTimeoutMs: '30s' } },
      { server: 'api', path: 'startTimeoutMs', message: 'received "30s"' },
    ],
    [
      'an infinite timeout',
      { api: { command: ['x'], stopTimeoutMs: Number.POSITIVE_INFINITY } },
      { server: 'api', path: 'stopTimeoutMs', message: 'received Infinity' },
    ],
    [
      'a timeout past what timers support',
      { api: { command: ['x'], startTimeoutMs: 2 ** 31 } },
      { server: 'api', path: 'startTimeoutMs', message: 'at most 2147483647 ms' },
    ],
  ]);
});

describe('readiness', () => {
  runCases([
    [
      'an unknown shorthand',
      { api: { command: ['x'], readiness: 'htp' } },
      { server: 'api', path: 'readiness', message: "Did you mean 'http'?" },
    ],
    [
      "'log' without a pattern",
      { api: { command: ['x'], readiness: 'log' } },
      { server: 'api', path: 'readiness', message: 'give the RegExp itself' },
    ],
    [
      'a number',
      { api: { command: ['x'], readiness: 5 } },
      { server: 'api', path: 'readiness', message: 'received 5' },
    ],
    [
      'an empty array',
      { api: { command: ['x'], readiness: [] } },
      { server: 'api', path: 'readiness', message: 'must not be an empty array' },
    ],
    [
      'a nested array',
      { api: { command: ['x'], readiness: ['tcp', ['http']] } },
      { server: 'api', path: 'readiness[1]', message: 'one flat array' },
    ],
    [
      'an object without type',
      { api: { command: ['x'], readiness: { path: '/health' } } },
      { server: 'api', path: 'readiness.type', message: 'is missing' },
    ],
    [
      'an unknown type',
      { api: { command: ['x'], readiness: { type: 'htpp' } } },
      { server: 'api', path: 'readiness.type', message: "Did you mean 'http'?" },
    ],
    [
      'an http path without "/"',
      { api: { command: ['x'], readiness: { type: 'http', path: 'health' } } },
      { server: 'api', path: 'readiness.path', message: 'starting with "/"' },
    ],
    [
      'an http path in an array',
      { api: { command: ['x'], readiness: ['tcp', { type: 'http', path: 'http://localhost/health' }] } },
      { server: 'api', path: 'readiness[1].path', message: 'starting with "/"' },
    ],
    [
      'empty statuses',
      { api: { command: ['x'], readiness: { type: 'http', statuses: [] } } },
      { server: 'api', path: 'readiness.statuses', message: 'must not be empty' },
    ],
    [
      'a bad status',
      { api: { command: ['x'], readiness: { type: 'http', statuses: [200, 700] } } },
      { server: 'api', path: 'readiness.statuses[1]', message: 'HTTP status from 100 to 599' },
    ],
    [
      'a non-boolean insecure',
      { api: { command: ['x'], readiness: { type: 'http', insecure: 'yes' } } },
      { server: 'api', path: 'readiness.insecure', message: 'true or false' },
    ],
    [
      'a log probe without pattern',
      { api: { command: ['x'], readiness: { type: 'log' } } },
      { server: 'api', path: 'readiness.pattern', message: 'must be a RegExp' },
    ],
    [
      'a log pattern as a string',
      { api: { command: ['x'], readiness: { type: 'log', pattern: 'ready' } } },
      { server: 'api', path: 'readiness.pattern', message: 'received "ready"' },
    ],
    [
      'a custom probe without check',
      { api: { command: ['x'], readiness: { type: 'custom' } } },
      { server: 'api', path: 'readiness.check', message: 'must be a function' },
    ],
    [
      'an empty custom description',
      { api: { app, readiness: { type: 'custom', check, description: '' } } },
      { server: 'api', path: 'readiness.description', message: 'must not be empty' },
    ],
    [
      'a log probe on an in-process server',
      { api: { app, readiness: ['tcp', /ready/] } },
      { server: 'api', path: 'readiness[1]', message: 'an in-process server (`app`) has none' },
    ],
  ]);
});

describe('dependsOn', () => {
  runCases([
    [
      'not an array',
      { api: { command: ['x'], dependsOn: 'db' } },
      { server: 'api', path: 'dependsOn', message: 'an array of server names' },
    ],
    [
      'a non-string entry',
      { db: { command: ['x'] }, api: { command: ['x'], dependsOn: ['db', 1] } },
      { server: 'api', path: 'dependsOn[1]', message: 'must be a server name' },
    ],
    [
      'an unknown server',
      { db: { command: ['x'] }, api: { command: ['x'], dependsOn: ['dbb'] } },
      {
        server: 'api',
        path: 'dependsOn[0]',
        message: ['names no server "dbb"', 'Did you mean "db"?', 'Servers: db, api'],
      },
    ],
    [
      'itself',
      { api: { command: ['x'], dependsOn: ['api'] } },
      { server: 'api', path: 'dependsOn[0]', message: 'cannot depend on itself' },
    ],
    [
      'a run server on a worker server',
      { cache: { command: ['x'], scope: 'worker' }, api: { command: ['x'], dependsOn: ['cache'] } },
      {
        server: 'api',
        path: 'dependsOn[0]',
        message: ['"cache", which is `worker`-scoped', 'make "api" `scope: \'worker\'`, or "cache" `scope: \'run\'`'],
      },
    ],
    [
      'a two-server cycle',
      { a: { command: ['x'], dependsOn: ['b'] }, b: { command: ['x'], dependsOn: ['a'] } },
      { server: 'a', path: 'dependsOn', message: 'dependency cycle: a → b → a' },
    ],
  ]);

  test('a cycle is reported once, with its path, on its first server in config order', () => {
    expectIssues(
      {
        web: { command: ['x'], dependsOn: ['b'] },
        c: { command: ['x'], dependsOn: ['a'] },
        a: { command: ['x'], dependsOn: ['b'] },
        b: { command: ['x'], dependsOn: ['c'] },
      },
      {
        server: 'c',
        path: 'dependsOn',
        message: ['is part of a dependency cycle: c → a → b → c.', 'one of these `dependsOn` entries must go'],
      },
    );
  });

  test('separate cycles are reported separately', () => {
    expectIssues(
      {
        a: { command: ['x'], dependsOn: ['b'] },
        b: { command: ['x'], dependsOn: ['a'] },
        c: { command: ['x'], dependsOn: ['d'] },
        d: { command: ['x'], dependsOn: ['c'] },
      },
      { server: 'a', path: 'dependsOn', message: 'a → b → a' },
      { server: 'c', path: 'dependsOn', message: 'c → d → c' },
    );
  });
});

describe('placeholders in command and env', () => {
  const db = { command: ['db'] };
  runCases([
    [
      'an unknown own key',
      { api: { command: ['x', '--port={PORT}'] } },
      {
        server: 'api',
        path: 'command[1]',
        message: ['unknown placeholder `{PORT}`', 'Did you mean `{port}`?', 'write `{{PORT}}`'],
      },
    ],
    [
      'an unknown key inside inline JavaScript',
      { api: { command: ['node', '-e', 'f({prot})'] } },
      { server: 'api', path: 'command[2]', message: ['unknown placeholder `{prot}`', 'Did you mean `{port}`?'] },
    ],
    [
      'a server missing from dependsOn',
      { db, api: { command: ['x'], env: { DATABASE_URL: '{db.url}/test' } } },
      { server: 'api', path: 'env.DATABASE_URL', message: 'add "db" to `dependsOn`' },
    ],
    [
      'an unknown server',
      { db, api: { command: ['x', '{dbb.url}'], dependsOn: ['db'] } },
      { server: 'api', path: 'command[1]', message: ['names no server "dbb"', 'Did you mean "db"?'] },
    ],
    [
      'an unknown field of a server',
      { db, api: { command: ['x', '{db.address}'], dependsOn: ['db'] } },
      { server: 'api', path: 'command[1]', message: ['unknown placeholder `{db.address}`', '`{db.url}`'] },
    ],
    [
      'the server itself by name',
      { api: { command: ['x', '{api.port}'] } },
      { server: 'api', path: 'command[1]', message: 'write `{port}`' },
    ],
  ]);

  test('a repeated bad placeholder in one value is one issue', () => {
    expectIssues(
      { api: { command: ['x', '{PORT}:{PORT}'] } },
      { server: 'api', path: 'command[1]', message: '{PORT}' },
    );
  });
});

describe('every problem at once', () => {
  test('one ConfigError lists every problem, server by server in config order', () => {
    const config = {
      db: { command: ['postgres', '-p', '{port}'], port: 0, stopSignal: 'TERM' },
      api: {
        command: ['node', 'server.js'],
        env: { DATABASE_URL: '{db.url}', PORT: 3000 },
        dependsOn: ['cache'],
        stopTimeout: 100,
        readiness: [{ type: 'http', path: 'health' }],
      },
      web: { app, cwd: '.', startTimeoutMs: -5 },
    };
    let thrown: unknown;
    try {
      validateConfig(config);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.code).toBe('ES_CONFIG_INVALID');
    expect(error.name).toBe('ConfigError');
    expect(error.issues.map((issue) => `${issue.server ?? ''} ${issue.path}`)).toEqual([
      'db stopSignal',
      'db port',
      'api env.PORT',
      'api stopTimeout',
      'api readiness[0].path',
      'api dependsOn[0]',
      'api env.DATABASE_URL',
      'web startTimeoutMs',
      'web cwd',
    ]);
    expect(error.message).toContain('Invalid servers config (9 problems)');
    expect(error.message).toContain('server "api", field `stopTimeout`: unknown field. Did you mean `stopTimeoutMs`?');
  });
});
