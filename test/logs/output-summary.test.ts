import { describe, expect, it } from 'vitest';
import { collapseRepeats, summarizeOutput } from '../../src/logs/output-summary.js';

describe('output summaries', () => {
  it('collapses runs of lines alike (digits aside) into the first and a count', () => {
    const probes = Array.from(
      { length: 28 },
      (_, i) => `INFO: 127.0.0.1:${40000 + i} - "GET /health HTTP/1.1" 404 Not Found`,
    );
    expect(collapseRepeats(['starting', ...probes, 'done'])).toEqual([
      'starting',
      probes[0],
      '… 27 more like this',
      'done',
    ]);
    expect(collapseRepeats(['a 1', 'a 2', 'b'])).toEqual(['a 1', 'a 2', 'b']);
  });

  it('keeps the first lines (startup) and the last lines, with the count of those between', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `${'x'.repeat(i % 7)} line`);
    const summary = summarizeOutput(lines, { headLines: 3, tailLines: 4 });
    expect(summary).toEqual([...lines.slice(0, 3), '… 93 line(s) …', ...lines.slice(-4)]);
  });

  it('keeps no last lines when asked for none', () => {
    const lines = Array.from({ length: 20 }, (_, i) => 'y'.repeat(i));
    expect(summarizeOutput(lines, { headLines: 2, tailLines: 0 })).toEqual(['', 'y', '… 18 line(s) …']);
  });

  it('shows a short output whole', () => {
    expect(summarizeOutput(['a', 'b'])).toEqual(['a', 'b']);
  });

  it('the startup lines of a server polled by its probe stay visible next to its last lines', () => {
    // uvicorn polled every few ms: the startup error and the last line, not 30 access-log lines.
    const output = [
      'INFO:     Started server process [123]',
      'WARNING:  DATABASE_URL is not set: using an empty database',
      ...Array.from(
        { length: 300 },
        (_, i) => `INFO:     127.0.0.1:${50000 + i} - "GET /health HTTP/1.1" 404 Not Found`,
      ),
      'ERROR:    Exception in ASGI application',
    ];
    const summary = summarizeOutput(output);
    expect(summary).toEqual([output[0], output[1], output[2], '… 299 more like this', output.at(-1)]);
  });
});

describe('the summary of a log file', () => {
  it('of a large log: its first lines, then the end of its last 64 KiB, repeats collapsed', async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readLogTail } = await import('../../src/process/log-follower.js');
    const dir = mkdtempSync(join(tmpdir(), 'es-summary-'));
    try {
      const path = join(dir, 'big@0.log');
      const probes = Array.from({ length: 5000 }, (_, i) => `GET /health ${i} 404`);
      writeFileSync(path, ['booting', 'fatal-looking warning', ...probes, 'last words', ''].join('\n'));
      expect(readLogTail(path)).toEqual([
        'booting',
        'fatal-looking warning',
        'GET /health 0 404',
        expect.stringMatching(/^… \d+ more like this$/),
        '… (the middle of the log is not shown)',
        expect.stringMatching(/^GET \/health \d+ 404$/),
        expect.stringMatching(/^… \d+ more like this$/),
        'last words',
      ]);
      expect(readLogTail(path, 2)).toEqual(['GET /health 4999 404', 'last words']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
