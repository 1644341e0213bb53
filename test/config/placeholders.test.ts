import { describe, expect, test } from 'vitest';
import { expandPlaceholders, findPlaceholders, type PlaceholderValues } from '../../src/config/index.js';

const values: PlaceholderValues = {
  self: { host: '127.0.0.1', port: 4100, url: 'http://127.0.0.1:4100' },
  servers: {
    db: { host: '::1', port: 5000, url: 'http://[::1]:5000' },
    'auth-api_2': { host: 'localhost', port: 6000, url: 'https://localhost:6000' },
  },
};

describe('findPlaceholders', () => {
  test('lists own and other servers\u2019 placeholders in order, duplicates included', () => {
    expect(findPlaceholders('--port={port} --db={db.url} {port}')).toEqual([
      { key: 'port', field: 'port' },
      { key: 'db.url', server: 'db', field: 'url' },
      { key: 'port', field: 'port' },
    ]);
  });

  test('returns unknown placeholder-shaped keys as they are, for validation to report', () => {
    expect(findPlaceholders('{PORT}{db.foo}{my-web_2.url}{_x}')).toEqual([
      { key: 'PORT', field: 'PORT' },
      { key: 'db.foo', server: 'db', field: 'foo' },
      { key: 'my-web_2.url', server: 'my-web_2', field: 'url' },
      { key: '_x', field: '_x' },
    ]);
  });

  test.each([
    ["require('http').createServer((q, r) => { r.end() }).listen(+process.argv[1])"],
    ['{"a":1}'],
    ['{"a":{"b":[1,2]}}'],
    ['${HOME} ${PORT} ${db.url} ${{port}}'],
    ['{a,b} {1..3} {a.b.c} {} { port } {a-b} {2x} {db.}'],
    ['{port', 'port}', '}}{{', '{{"a":1}}', 'x{{y', 'function f() {{ return 1 }}'],
  ])('brace text that is not placeholder-shaped is not a placeholder: %j', (...templates: string[]) => {
    for (const template of templates) expect(findPlaceholders(template)).toEqual([]);
  });

  test('escaped placeholders are not placeholders', () => {
    expect(findPlaceholders('{{port}} {{db.url}}')).toEqual([]);
    expect(findPlaceholders('no braces at all')).toEqual([]);
  });
});

describe('expandPlaceholders', () => {
  test('expands the server\u2019s own port, host and url', () => {
    expect(expandPlaceholders('--listen={host}:{port} --public={url}', values)).toBe(
      '--listen=127.0.0.1:4100 --public=http://127.0.0.1:4100',
    );
  });

  test('expands other servers; an IPv6 host stays bare in {host} and is bracketed in {url}', () => {
    expect(expandPlaceholders('postgres://{db.host}/x {db.url} {db.port}', values)).toBe(
      'postgres://::1/x http://[::1]:5000 5000',
    );
    expect(expandPlaceholders('{auth-api_2.url}/login', values)).toBe('https://localhost:6000/login');
  });

  test('{{name}} is the literal {name}; no other brace is touched', () => {
    expect(expandPlaceholders('{{port}} {{db.url}}', values)).toBe('{port} {db.url}');
    expect(expandPlaceholders('{ {port} }', values)).toBe('{ 4100 }');
    expect(expandPlaceholders('--json={"port":{port}}', values)).toBe('--json={"port":4100}');
    // Only the placeholder-shaped case is an escape: JSON or code with doubled braces stays as it is.
    expect(expandPlaceholders('{{"port":{port}}}', values)).toBe('{{"port":4100}}');
    expect(expandPlaceholders('{a:{b:1}}', values)).toBe('{a:{b:1}}');
  });

  test('inline JavaScript, JSON and shell braces pass through unchanged', () => {
    const script = "require('http').createServer((q, r) => { r.end(`${q.url}`) }).listen({port}, '{host}')";
    expect(expandPlaceholders(script, values)).toBe(
      "require('http').createServer((q, r) => { r.end(`${q.url}`) }).listen(4100, '127.0.0.1')",
    );
    expect(expandPlaceholders('echo ${HOME} {a,b} {1..3} ${port}', values)).toBe('echo ${HOME} {a,b} {1..3} ${port}');
  });

  test('substituted values are not expanded again (one pass)', () => {
    const tricky: PlaceholderValues = {
      self: { host: '127.0.0.1', port: 1, url: 'http://127.0.0.1:1/{port}' },
      servers: { db: { host: '{host}', port: 2, url: 'x{{y' } },
    };
    expect(expandPlaceholders('{url} {db.host} {db.url}', tricky)).toBe('http://127.0.0.1:1/{port} {host} x{{y');
  });

  test('a template without placeholders is returned as it is', () => {
    expect(expandPlaceholders('', values)).toBe('');
    expect(expandPlaceholders('node server.js', values)).toBe('node server.js');
  });

  test.each([
    ['{PORT}', /Unknown placeholder `\{PORT\}`/],
    ['{db.foo}', /Unknown placeholder `\{db.foo\}`/],
    ['{cache.url}', /names server "cache"/],
    ['{toString.url}', /names server "toString"/],
  ])('%j throws a TypeError', (template, message) => {
    expect(() => expandPlaceholders(template, values)).toThrow(TypeError);
    expect(() => expandPlaceholders(template, values)).toThrow(message);
  });
});
