import { describe, expect, it } from 'vitest';
import { differingFields, fingerprintSpec } from '../../src/config/fingerprint.js';
import { validateConfig } from '../../src/config/validate-config.js';
import type { CommandServerSpec, ServersConfig } from '../../src/config/types.js';

/** The normalized spec of server `name` in `config`. */
const specOf = (config: ServersConfig, name = 'api') => validateConfig(config).specs.get(name)!;

describe('fingerprintSpec', () => {
  const api: CommandServerSpec = {
    command: ['node', 'server.js', '--port', '{port}'],
    env: { A: '1', B: '2' },
    readiness: /listening on (?<port>\d+)/,
    port: 0,
  };
  const base: ServersConfig = { api };

  it('hashes every own field of the normalized spec, and equal specs alike', () => {
    const spec = specOf(base);
    const fingerprint = fingerprintSpec(spec);
    expect(Object.keys(fingerprint).sort()).toEqual(Object.keys(spec).sort());
    for (const hash of Object.values(fingerprint)) expect(hash).toMatch(/^[0-9a-f]{12}$/);
    expect(fingerprintSpec(specOf({ api: { ...api, readiness: /ready on (?<port>\d+)/ } }))).not.toEqual(fingerprint);
    expect(fingerprintSpec(specOf(base))).toEqual(fingerprint);
  });

  it('ignores the key order of objects, not the order of arrays', () => {
    const reordered = fingerprintSpec(specOf({ api: { ...api, env: { B: '2', A: '1' } } }));
    expect(differingFields(fingerprintSpec(specOf(base)), reordered)).toEqual([]);
    const swapped = fingerprintSpec(specOf({ api: { ...api, command: ['node', 'server.js', '{port}', '--port'] } }));
    expect(differingFields(fingerprintSpec(specOf(base)), swapped)).toEqual(['command']);
  });

  it('names exactly the fields that differ: defaults applied, regular expressions by source and flags', () => {
    const other = fingerprintSpec(
      specOf({
        api: { ...api, stopTimeoutMs: 1000, readiness: /listening on (?<port>\d+)/i, env: { A: '1', B: '3' } },
      }),
    );
    expect(differingFields(fingerprintSpec(specOf(base)), other)).toEqual(['env', 'readiness', 'stopTimeoutMs']);
    // The documented default written out is the same spec.
    expect(
      differingFields(fingerprintSpec(specOf(base)), fingerprintSpec(specOf({ api: { ...api, stopTimeoutMs: 5000 } }))),
    ).toEqual([]);
  });

  it('hashes functions by their source text, whitespace runs collapsed', () => {
    const app = (text: string) =>
      specOf(
        {
          web: {
            app: new Function(
              `return () => require('node:http').createServer((q, s) => s.end(${JSON.stringify(text)}))`,
            )(),
          },
        },
        'web',
      );
    expect(differingFields(fingerprintSpec(app('a')), fingerprintSpec(app('a')))).toEqual([]);
    expect(differingFields(fingerprintSpec(app('a')), fingerprintSpec(app('b')))).toEqual(['app']);
    const spaced = specOf(
      { web: { app: new Function(`return () =>   require('node:http')\n  .createServer((q, s) => s.end("a"))`)() } },
      'web',
    );
    const tight = specOf(
      { web: { app: new Function(`return () => require('node:http') .createServer((q, s) => s.end("a"))`)() } },
      'web',
    );
    expect(differingFields(fingerprintSpec(spaced), fingerprintSpec(tight))).toEqual([]);
  });

  it('counts a field present on one side only (a command server against an in-process one)', () => {
    const command = fingerprintSpec(specOf({ api: { command: ['node', 'server.js'] } }));
    const inProcess = fingerprintSpec(specOf({ api: { app: () => ({ listen() {}, close() {} }) } }));
    expect(differingFields(command, inProcess)).toEqual(expect.arrayContaining(['app', 'command', 'kind']));
  });
});
