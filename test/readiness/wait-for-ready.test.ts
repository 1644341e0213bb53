import { createServer } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ProbeContext } from '../../src/config/types.js';
import { ReadinessTimeoutError, ServerExitedError } from '../../src/errors.js';
import { waitForReady, type CapturedGroups, type ProbeTarget } from '../../src/readiness/index.js';
import { freePort, listen, manualOutput, spawnNode, targetOf } from './helpers.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const http = (path = '/') => ({ type: 'http', path, statuses: undefined, insecure: false }) as const;
const tcp = { type: 'tcp' } as const;
const custom = (check: (context: ProbeContext) => unknown, description = 'custom') =>
  ({ type: 'custom', check: check as never, description }) as const;

describe('waitForReady', () => {
  it('is ready at once without probes', async () => {
    await expect(
      waitForReady({ server: 'app', probes: [], target: () => undefined, startTimeoutMs: 1000 }),
    ).resolves.toEqual({
      elapsedMs: 0,
      attempts: 0,
    });
  });

  it('lets a log probe supply the port an http probe then checks', async () => {
    const port = await listen(createServer((_request, response) => response.end()));
    const output = manualOutput();
    let target: ProbeTarget | undefined;
    const captures: CapturedGroups[] = [];
    const waiting = waitForReady({
      server: 'web',
      probes: [http('/'), { type: 'log', pattern: /listening on (?<port>\d+)/ }],
      target: () => target,
      output,
      onCapture: (captured) => {
        captures.push(captured);
        if (captured.port !== undefined) target = targetOf('127.0.0.1', captured.port);
      },
      startTimeoutMs: 10_000,
    });
    output.lines.push('starting', `listening on ${port}`);
    await expect(waiting).resolves.toMatchObject({ elapsedMs: expect.any(Number) });
    expect(captures).toEqual([{ port }]);
  });

  it('follows a real server process that announces its port', async () => {
    const { output, exited } = spawnNode([fixture('readiness-announce-port.mjs'), '50']);
    let target: ProbeTarget | undefined;
    await waitForReady({
      server: 'web',
      probes: [{ type: 'log', pattern: /listening on http:\/\/(?<host>[\d.]+):(?<port>\d+)/ }, http('/health')],
      target: () => target,
      output,
      onCapture: ({ host, port }) => {
        if (host !== undefined && port !== undefined) target = targetOf(host, port);
      },
      exited,
      startTimeoutMs: 10_000,
    });
    expect(target?.host).toBe('127.0.0.1');
  });

  it('fails at once with ServerExitedError when the process exits first', async () => {
    const { output, exited } = spawnNode([fixture('readiness-exit-early.mjs')]);
    const port = await freePort();
    const error = await waitForReady({
      server: 'api',
      probes: [tcp, { type: 'log', pattern: /never printed/ }],
      target: () => targetOf('127.0.0.1', port),
      output,
      outputTail: () => output.lines.slice(-10),
      logPath: '/tmp/api.log',
      exited,
      startTimeoutMs: 30_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerExitedError);
    expect(error).toMatchObject({
      code: 'ES_SERVER_EXITED',
      server: 'api',
      exit: { code: 3, signal: null },
      logPath: '/tmp/api.log',
    });
    expect((error as ServerExitedError).outputTail).toEqual(
      expect.arrayContaining(['starting up', 'fatal: DATABASE_URL is not set']),
    );
    expect((error as Error).message).toContain('exit code 3');
  });

  it('times out naming the probe, the URL, the last error and the output tail', async () => {
    const port = await freePort();
    const error = await waitForReady({
      server: 'api',
      probes: [http('/health')],
      target: () => targetOf('127.0.0.1', port),
      outputTail: () => ['GET /health 500'],
      startTimeoutMs: 500,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadinessTimeoutError);
    expect(error).toMatchObject({
      server: 'api',
      probe: `http GET http://127.0.0.1:${port}/health (200-399)`,
      url: `http://127.0.0.1:${port}`,
      lastError: `connect ECONNREFUSED 127.0.0.1:${port}`,
      outputTail: ['GET /health 500'],
    });
    expect((error as ReadinessTimeoutError).elapsedMs).toBeGreaterThanOrEqual(500);
    expect((error as Error).message).toContain(`probe http GET http://127.0.0.1:${port}/health (200-399)`);
  });

  it('on timeout names the log probe that never matched, before the probes waiting for its port', async () => {
    const error = await waitForReady({
      server: 'web',
      probes: [http('/'), { type: 'log', pattern: /port (?<port>\d+)/ }],
      target: () => undefined,
      output: { lines: ['compiling…'] },
      startTimeoutMs: 100,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      probe: 'log /port (?<port>\\d+)/',
      url: '(address unknown: port not captured)',
      lastError: 'no line of output matched /port (?<port>\\d+)/ (1 line(s) read)',
    });
  });

  it('aborts in-flight attempts on timeout, leaving no connection open', async () => {
    const sockets = new Set<Socket>();
    const server = createNetServer((socket) => {
      // Accepts, reads (so it sees the client close) and never answers.
      socket.resume();
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const port = await listen(server);
    const error = await waitForReady({
      server: 'stuck',
      probes: [http('/')],
      target: () => targetOf('127.0.0.1', port),
      startTimeoutMs: 150,
      attemptTimeoutMs: 60_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadinessTimeoutError);
    expect((error as ReadinessTimeoutError).lastError).toMatch(/^an attempt got no answer in \d+ ms$/);
    await expect.poll(() => sockets.size).toBe(0);
  });

  it('retries an attempt that hangs past attemptTimeoutMs', async () => {
    let requests = 0;
    const port = await listen(
      createServer((_request, response) => {
        requests += 1;
        // The first request hangs; the next ones are answered.
        if (requests > 1) response.end();
      }),
    );
    const result = await waitForReady({
      server: 'slow',
      probes: [http('/')],
      target: () => targetOf('127.0.0.1', port),
      startTimeoutMs: 10_000,
      attemptTimeoutMs: 50,
    });
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(requests).toBe(result.attempts);
  });

  it('rejects with the reason when the signal aborts, before or during the wait', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const reason = new Error('run interrupted');
    const options = {
      server: 'api',
      probes: [tcp],
      target: () => targetOf('127.0.0.1', port),
      startTimeoutMs: 30_000,
      signal: controller.signal,
    };
    const waiting = waitForReady(options);
    setTimeout(() => controller.abort(reason), 20);
    await expect(waiting).rejects.toBe(reason);
    await expect(waitForReady(options)).rejects.toBe(reason);
  });

  it('runs a custom probe until it returns something other than false', async () => {
    const port = await listen(createServer((_request, response) => response.end()));
    const contexts: ProbeContext[] = [];
    const result = await waitForReady({
      server: 'db',
      probes: [custom((context) => (contexts.push(context), contexts.length < 3 ? false : undefined))],
      target: () => targetOf('127.0.0.1', port),
      startTimeoutMs: 10_000,
    });
    expect(result.attempts).toBe(3);
    expect(contexts[0]).toMatchObject({ server: 'db', host: '127.0.0.1', port, url: `http://127.0.0.1:${port}` });
    expect(contexts[0]?.signal.aborted).toBe(false);
  });

  it('reports what a custom probe threw, and aborts its signal when giving up', async () => {
    let signal: AbortSignal | undefined;
    const error = await waitForReady({
      server: 'db',
      probes: [
        custom((context) => {
          signal = context.signal;
          throw new Error('relation "users" does not exist');
        }, 'migrations applied'),
      ],
      target: () => targetOf('127.0.0.1', 5432),
      startTimeoutMs: 100,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ probe: 'custom (migrations applied)', lastError: 'relation "users" does not exist' });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
  });

  it('rejects with an error a callback throws', async () => {
    const bug = new Error('bug in onCapture');
    const waiting = waitForReady({
      server: 'web',
      probes: [{ type: 'log', pattern: /port (?<port>\d+)/ }],
      target: () => undefined,
      output: { lines: ['port 8080'] },
      onCapture: () => {
        throw bug;
      },
      startTimeoutMs: 10_000,
    });
    await expect(waiting).rejects.toBe(bug);
  });

  it('checks its options', async () => {
    const base = { server: 'api', probes: [tcp], target: () => undefined };
    await expect(waitForReady({ ...base, startTimeoutMs: 0 })).rejects.toThrow(
      /`startTimeoutMs` must be a positive number of milliseconds, received 0/,
    );
    await expect(waitForReady({ ...base, startTimeoutMs: 1000, attemptTimeoutMs: Number.NaN })).rejects.toThrow(
      RangeError,
    );
    await expect(waitForReady({ ...base, startTimeoutMs: 1000, backoff: { factor: 0.5 } })).rejects.toThrow(
      /`backoff.factor`/,
    );
    await expect(
      waitForReady({ ...base, startTimeoutMs: 1000, backoff: { initialMs: 50, maxMs: 20 } }),
    ).rejects.toThrow(/`backoff.maxMs`/);
    await expect(waitForReady({ ...base, startTimeoutMs: 1000, backoff: { fastMaxMs: 100 } })).rejects.toThrow(
      /`backoff.fastMaxMs`/,
    );
    await expect(waitForReady({ ...base, startTimeoutMs: 1000, backoff: { fastForMs: -1 } })).rejects.toThrow(
      /`backoff.fastForMs`/,
    );
    await expect(
      waitForReady({ ...base, probes: [{ type: 'log', pattern: /x/ }], startTimeoutMs: 1000 }),
    ).rejects.toThrow(TypeError);
  });
});
