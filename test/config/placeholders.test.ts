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

  test('returns unknown keys as they are, for validation to report', () => {
    expect(findPlaceholders('{PORT}{db.foo}{a.b.c}{}')).toEqual([
      { key: 'PORT', field: 'PORT' },
      { key: 'db.foo', server: 'db', field: 'foo' },
      { key: 'a.b.c', server: 'a', field: 'b.c' },
      { key: '', field: '' },
    ]);
  });

  test('escaped braces are not placeholders', () => {
    expect(findPlaceholders('{{port}} {{"a":1}}')).toEqual([]);
    expect(findPlaceholders('no braces at all')).toEqual([]);
  });

  test.each([
    ['{port', /Unclosed `\{` at index 0/],
    ['{a{port}', /Unclosed `\{` at index 0/],
    ['port}', /Unmatched `\}` at index 4/],
    ['{"a":1}x}', /Unmatched `\}` at index 8/],
  ])('malformed %j throws a TypeError that explains escaping', (template, message) => {
    expect(() => findPlaceholders(template)).toThrow(TypeError);
    expect(() => findPlaceholders(template)).toThrow(message);
    expect(() => findPlaceholders(template)).toThrow('write `{{` and `}}` for literal braces');
  });
});

describe('expandPlaceholders', () => {
  test('expands the server\u2019s own port, host and url', () => {
    expect(expandPlaceholders('--listen={host}:{port} --public={url}', values)).toBe(
      '--listen=127.0.0.1:4100 --public=http://127.0.0.1:4100',
    );
  });

  test('expands other servers; an IPv6 host stays bare in {host} and is bracketed in {url}', () => {
    expect(expandPlaceholders('postgres://{db.host}/x {db.url} {db.port}', values)).toBe('postgres://::1/x http://[::1]:5000 5000');
    expect(expandPlaceholders('{auth-api_2.url}/login', values)).toBe('https://localhost:6000/login');
  });

  test('{{ and }} are literal braces', () => {
    expect(expandPlaceholders('{{port}}', values)).toBe('{port}');
    expect(expandPlaceholders('{{{port}}}', values)).toBe('{4100}');
    expect(expandPlaceholders('--json={{"port":{port}}}', values)).toBe('--json={"port":4100}');
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
    ['{port', /Unclosed/],
    ['}', /Unmatched/],
  ])('%j throws a TypeError', (template, message) => {
    expect(() => expandPlaceholders(template, values)).toThrow(TypeError);
    expect(() => expandPlaceholders(template, values)).toThrow(message);
  });
});
