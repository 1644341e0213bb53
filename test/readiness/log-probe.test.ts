import { describe, expect, it } from 'vitest';
import { LogProbe, createProbe, type OutputSource } from '../../src/readiness/index.js';

const attempt = {
  server: 'web',
  target: undefined,
  signal: new AbortController().signal,
  waitSignal: new AbortController().signal,
};

describe('log probe', () => {
  it('captures the announced port and host from a line', async () => {
    const output = { lines: ['booting', 'listening on http://[::1]:41234/'] };
    const probe = new LogProbe(/listening on http:\/\/(?<host>\[[^\]]+\]|[^:/]+):(?<port>\d+)/, output);
    await expect(probe.check(attempt)).resolves.toEqual({ ok: true, captured: { host: '::1', port: 41234 } });
  });

  it('passes without `captured` when the pattern has no port or host group', async () => {
    const probe = new LogProbe(/ready/, { lines: ['ready'] });
    await expect(probe.check(attempt)).resolves.toEqual({ ok: true });
  });

  it('keeps its scan position: each line is matched once', async () => {
    const output = { lines: ['compiling', 'compiled'] };
    const probe = new LogProbe(/^ready in (?<port>\d+)$/, output);
    await expect(probe.check(attempt)).resolves.toEqual({
      ok: false,
      reason: 'no line of output matched /^ready in (?<port>\\d+)$/ (2 line(s) read)',
    });
    output.lines.push('ready in 8080');
    await expect(probe.check(attempt)).resolves.toEqual({ ok: true, captured: { port: 8080 } });
  });

  it('matches through ANSI colours, and with a global or sticky RegExp', async () => {
    const output = { lines: ['\u001b[32m➜\u001b[39m  Local: http://localhost:\u001b[1m5173\u001b[22m/'] };
    const probe = new LogProbe(/localhost:(?<port>\d+)/g, output);
    await expect(probe.check(attempt)).resolves.toEqual({ ok: true, captured: { port: 5173 } });
    const sticky = /Local: http:\/\/localhost:(?<port>\d+)/y;
    await expect(new LogProbe(sticky, output).check(attempt)).resolves.toEqual({ ok: true, captured: { port: 5173 } });
    expect(sticky.lastIndex).toBe(0);
  });

  it('does not count a line whose `port` group is not a port number', async () => {
    const output = { lines: ['listening on port 0', 'listening on port 99999'] };
    const probe = new LogProbe(/port (?<port>\d+)/, output);
    await expect(probe.check(attempt)).resolves.toEqual({
      ok: false,
      reason: 'a line matched but its `port` group is "99999", not a port number (1 to 65535)',
    });
    output.lines.push('listening on port 3000');
    await expect(probe.check(attempt)).resolves.toEqual({ ok: true, captured: { port: 3000 } });
  });

  it('skips lines the source dropped from the front', async () => {
    let all = ['a', 'b', 'c'];
    let dropped = 0;
    const output: OutputSource = {
      get lines() {
        return all;
      },
      get droppedLines() {
        return dropped;
      },
    };
    const probe = new LogProbe(/^(?<port>\d+)$/, output);
    await expect(probe.check(attempt)).resolves.toMatchObject({ ok: false });
    // 'a' to 'c' and 'd', 'e' are gone; '4000' is line 5 of the whole output.
    all = ['4000'];
    dropped = 5;
    await expect(probe.check(attempt)).resolves.toEqual({ ok: true, captured: { port: 4000 } });
  });

  it('is created by createProbe, which needs the output', () => {
    expect(createProbe({ type: 'log', pattern: /ready/ }, { output: { lines: [] } }).describe(undefined)).toBe(
      'log /ready/',
    );
    expect(() => createProbe({ type: 'log', pattern: /ready/ })).toThrow(TypeError);
    expect(() => createProbe({ type: 'log', pattern: /ready/ })).toThrow(/`output`/);
  });
});
