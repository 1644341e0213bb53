/**
 * A readiness timeout's output shows the cause: the server's startup lines and its last line, with the
 * probe's own requests collapsed. The probe polls fast for 1 s, then at up to 50 ms (DEFAULT_BACKOFF).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defineServers, ReadinessTimeoutError, startServers } from '../../src/index.js';
import { useKeptLogsRoot } from './kept-root.js';

const server = fileURLToPath(new URL('../fixtures/access-log-server.mjs', import.meta.url));

const keptRoot = useKeptLogsRoot();

describe('the output of a readiness timeout', () => {
  it('keeps the startup lines in view and collapses the probe requests', async () => {
    const config = defineServers({
      app: {
        command: [process.execPath, server, '{port}'],
        readiness: { type: 'http', path: '/health' },
        startTimeoutMs: 1500,
      },
    });
    const error = (await startServers(config, { exportEnv: false }).catch(
      (caught: unknown) => caught,
    )) as ReadinessTimeoutError;
    expect(error).toBeInstanceOf(ReadinessTimeoutError);
    const tail = error.outputTail;
    console.log(error.message);
    expect(tail[0]).toMatch(/Started server process/);
    expect(tail).toContain('WARNING:  DATABASE_URL is not set: the app has no routes');
    // The probe requests of 1.5 s, shown as one line and a count.
    const collapsed = tail.find((line) => /^… \d+ more like this$/.test(line));
    expect(collapsed).toBeDefined();
    // How many depends on the machine's speed (13 under a load of 12 on 2 cores, 145 on a quiet one): more than the 3 that start a collapse.
    expect(Number(/\d+/.exec(collapsed!)![0])).toBeGreaterThan(3);
    expect(tail.filter((line) => line.includes('GET /health')).length).toBeLessThanOrEqual(2);
    expect(error.message).toMatch(/What to do: if the server is only slow, raise `startTimeoutMs`/);
    // The full log outlives the failed start (its run directory is gone): every probe request is in it.
    expect(error.logPath!.startsWith(keptRoot())).toBe(true);
    expect(existsSync(error.logPath!)).toBe(true);
    expect(
      readFileSync(error.logPath!, 'utf8')
        .split('\n')
        .filter((line) => line.includes('GET /health')).length,
    ).toBeGreaterThan(3);
    expect(error.message).toContain(`full log: ${error.logPath}`);
  }, 20_000);
});
