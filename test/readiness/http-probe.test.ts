import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadinessTimeoutError } from '../../src/errors.js';
import { HttpProbe, waitForReady } from '../../src/readiness/index.js';
import { freePort, hasIpv6, listen, targetOf } from './helpers.js';

const ipv6 = await hasIpv6();

function httpProbe(path = '/', statuses?: readonly number[], insecure = false) {
  return { type: 'http', path, statuses, insecure } as const;
}

describe('http probe', () => {
  it('passes on 200 with a GET of the path, sending the URL host', async () => {
    const seen: IncomingMessage[] = [];
    const port = await listen(
      createServer((request, response) => {
        seen.push(request);
        response.statusCode = request.url === '/health?deep=1' ? 200 : 404;
        response.end('fine');
      }),
    );
    const result = await waitForReady({
      server: 'api',
      probes: [httpProbe('/health?deep=1')],
      target: () => targetOf('127.0.0.1', port),
      startTimeoutMs: 10_000,
    });
    expect(result.attempts).toBe(1);
    expect(seen.map((r) => [r.method, r.url, r.headers.host])).toEqual([
      ['GET', '/health?deep=1', `127.0.0.1:${port}`],
    ]);
  });

  it('waits through 503 until the server answers 200', async () => {
    let requests = 0;
    const port = await listen(
      createServer((_request, response) => {
        requests += 1;
        response.statusCode = requests <= 3 ? 503 : 200;
        response.end();
      }),
    );
    const result = await waitForReady({
      server: 'api',
      probes: [httpProbe('/health')],
      target: () => targetOf('127.0.0.1', port),
      startTimeoutMs: 10_000,
    });
    expect(result.attempts).toBe(4);
    expect(requests).toBe(4);
  });

  it('accepts custom statuses, and the default 200-399 rejects the others', async () => {
    const port = await listen(
      createServer((_request, response) => {
        response.statusCode = 401;
        response.end();
      }),
    );
    const target = () => targetOf('127.0.0.1', port);
    await expect(
      waitForReady({ server: 'api', probes: [httpProbe('/', [401, 403])], target, startTimeoutMs: 10_000 }),
    ).resolves.toMatchObject({
      attempts: 1,
    });
    const error = await waitForReady({ server: 'api', probes: [httpProbe('/')], target, startTimeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReadinessTimeoutError);
    expect(error).toMatchObject({
      probe: `http GET http://127.0.0.1:${port}/ (200-399)`,
      lastError: `GET http://127.0.0.1:${port}/ answered 401, expected 200-399`,
    });
  });

  it('counts the status even when the body never ends', async () => {
    const port = await listen(
      createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: hello\n\n');
      }),
    );
    // Passing at all shows it: the body never ends, so only the status can decide.
    await expect(
      waitForReady({
        server: 'sse',
        probes: [httpProbe('/events')],
        target: () => targetOf('127.0.0.1', port),
        startTimeoutMs: 10_000,
        attemptTimeoutMs: 100,
      }),
    ).resolves.toMatchObject({ attempts: expect.any(Number) });
  });

  it.skipIf(!ipv6)('for localhost, reaches a server that listens on ::1 only', async () => {
    const port = await listen(
      createServer((_request, response) => response.end()),
      '::1',
    );
    await expect(
      waitForReady({
        server: 'api',
        probes: [httpProbe('/')],
        target: () => targetOf('localhost', port),
        startTimeoutMs: 10_000,
      }),
    ).resolves.toMatchObject({ attempts: 1 });
  });

  it('describes itself with the URL and the accepted statuses', async () => {
    const probe = new HttpProbe(httpProbe('health', [200, 201, 202, 204, 301]));
    expect(probe.describe(targetOf('127.0.0.1', 41234))).toBe(
      'http GET http://127.0.0.1:41234/health (200-202, 204, 301)',
    );
    expect(probe.describe(targetOf('::1', 41234, 'https'))).toBe(
      'http GET https://[::1]:41234/health (200-202, 204, 301)',
    );
    expect(probe.describe(undefined)).toBe('http GET /health (200-202, 204, 301)');
    const port = await freePort();
    const outcome = await probe.check({
      server: 'api',
      target: targetOf('localhost', port),
      signal: new AbortController().signal,
      waitSignal: new AbortController().signal,
    });
    // Both loopback addresses were asked, and both failures are reported.
    expect(outcome).toEqual({ ok: false, reason: expect.stringContaining(`connect ECONNREFUSED 127.0.0.1:${port}; `) });
    expect(outcome).toEqual({ ok: false, reason: expect.stringContaining('::1') });
  });

  describe('https with a self-signed certificate', () => {
    let dir: string;
    let port: number;
    const target = () => targetOf('localhost', port, 'https');

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'es-readiness-tls-'));
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-days',
          '1',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const server = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_request, response) => {
          response.end('secure');
        },
      );
      server.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      port = (server.address() as { port: number }).port;
      afterAllClose = () => new Promise((resolve) => server.close(resolve));
    });
    let afterAllClose: () => Promise<unknown>;
    afterAll(async () => {
      await afterAllClose();
      rmSync(dir, { recursive: true, force: true });
    });

    it('passes with `insecure: true`', async () => {
      await expect(
        waitForReady({ server: 'tls', probes: [httpProbe('/', undefined, true)], target, startTimeoutMs: 10_000 }),
      ).resolves.toMatchObject({ attempts: 1 });
    });

    it('fails without it, and says the certificate is the problem', async () => {
      const outcome = await new HttpProbe(httpProbe('/')).check({
        server: 'tls',
        target: target(),
        signal: new AbortController().signal,
        waitSignal: new AbortController().signal,
      });
      expect(outcome).toEqual({
        ok: false,
        reason: expect.stringMatching(/certificate.*set `insecure: true` on the http probe/),
      });
      const error = await waitForReady({ server: 'tls', probes: [httpProbe('/')], target, startTimeoutMs: 500 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ReadinessTimeoutError);
      const { lastError, url } = error as ReadinessTimeoutError;
      expect(url).toBe(`https://localhost:${port}`);
      expect(lastError).toMatch(/certificate/);
    });
  });
});
