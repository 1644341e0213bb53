import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nextDelayMs } from '../../src/readiness/backoff.js';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_BACKOFF, Wait } from '../../src/readiness/index.js';

describe('Wait', () => {
  it('builds the plain spec objects of the config', () => {
    expect(Wait.forHttp()).toEqual({ type: 'http', path: '/' });
    expect(Wait.forHttp('/health', { statuses: [204], insecure: true })).toEqual({
      type: 'http',
      path: '/health',
      statuses: [204],
      insecure: true,
    });
    expect(Wait.forTcp()).toEqual({ type: 'tcp' });
    expect(Wait.forLogMessage(/port (?<port>\d+)/)).toEqual({ type: 'log', pattern: /port (?<port>\d+)/ });
    const check = () => true;
    expect(Wait.forCustom(check, 'db ping')).toEqual({ type: 'custom', check, description: 'db ping' });
    expect(Wait.forAll(Wait.forTcp(), Wait.forHttp('/ready'))).toEqual([
      { type: 'tcp' },
      { type: 'http', path: '/ready' },
    ]);
  });

  it('matches a string log message literally', () => {
    const { pattern } = Wait.forLogMessage('Server ready (port 3000).');
    expect(pattern.test('** Server ready (port 3000). **')).toBe(true);
    expect(pattern.test('Server ready xport 3000). ')).toBe(false);
  });
});

describe('documented defaults', () => {
  const source = readFileSync(new URL('../../src/readiness/backoff.ts', import.meta.url), 'utf8');

  it.each(Object.entries(DEFAULT_BACKOFF))('backoff.%s is what its @default says', (field, value) => {
    const documented = new RegExp(`@default (\\S+) \\*/\\n\\s*${field}:`).exec(source)?.[1];
    expect(Number(documented)).toBe(value);
  });

  it('DEFAULT_ATTEMPT_TIMEOUT_MS is what WaitForReadyOptions says', () => {
    const options = readFileSync(new URL('../../src/readiness/wait-for-ready.ts', import.meta.url), 'utf8');
    expect(options).toContain(`@default DEFAULT_ATTEMPT_TIMEOUT_MS (${DEFAULT_ATTEMPT_TIMEOUT_MS})`);
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 1, factor: 1.25, fastMaxMs: 4, fastForMs: 1000, maxMs: 50 });
  });

  it('polls every 4 ms at most during the first second, then slows down to every 50 ms', () => {
    const delays = (fromMs: number, toMs: number): number[] => {
      const seen: number[] = [];
      let delayMs = DEFAULT_BACKOFF.initialMs;
      for (let elapsedMs = fromMs; elapsedMs < toMs; elapsedMs += delayMs) {
        seen.push(delayMs);
        delayMs = nextDelayMs(DEFAULT_BACKOFF, delayMs, elapsedMs);
      }
      return seen;
    };
    const first = delays(0, 1000);
    expect(Math.max(...first)).toBe(4);
    expect(first.length).toBeGreaterThan(240);
    const later = delays(1000, 11_000);
    expect(Math.max(...later)).toBe(50);
    expect(later.length).toBeLessThan(230);
  });
});
