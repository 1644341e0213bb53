import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ReadinessTimeoutError } from '../../src/errors.js';
import { TcpProbe, waitForReady } from '../../src/readiness/index.js';
import { defer, closeServer, freePort, hasIpv6, listen, targetOf } from './helpers.js';

const ipv6 = await hasIpv6();
const tcp = { type: 'tcp' } as const;

/** A TCP server that counts the connections it accepted. */
function countingServer() {
  const server = createServer((socket) => {
    accepted.count += 1;
    socket.destroy();
  });
  const accepted = { count: 0 };
  return { server, accepted };
}

describe('tcp probe', () => {
  it('connects to 127.0.0.1', async () => {
    const { server, accepted } = countingServer();
    const port = await listen(server, '127.0.0.1');
    await expect(
      waitForReady({ server: 'db', probes: [tcp], target: () => targetOf('127.0.0.1', port), startTimeoutMs: 10_000 }),
    ).resolves.toMatchObject({
      attempts: 1,
    });
    await expect.poll(() => accepted.count).toBe(1);
  });

  it.skipIf(!ipv6)('connects to ::1', async () => {
    const port = await listen(
      createServer((socket) => socket.destroy()),
      '::1',
    );
    await expect(
      waitForReady({ server: 'db', probes: [tcp], target: () => targetOf('::1', port), startTimeoutMs: 10_000 }),
    ).resolves.toMatchObject({
      attempts: 1,
    });
  });

  it.skipIf(!ipv6)('for localhost, connects when the server listens on ::1 only', async () => {
    const port = await listen(
      createServer((socket) => socket.destroy()),
      '::1',
    );
    await expect(
      waitForReady({ server: 'db', probes: [tcp], target: () => targetOf('localhost', port), startTimeoutMs: 10_000 }),
    ).resolves.toMatchObject({
      attempts: 1,
    });
  });

  it('for localhost, connects when the server listens on 127.0.0.1 only', async () => {
    const port = await listen(
      createServer((socket) => socket.destroy()),
      '127.0.0.1',
    );
    await expect(
      waitForReady({ server: 'db', probes: [tcp], target: () => targetOf('localhost', port), startTimeoutMs: 10_000 }),
    ).resolves.toMatchObject({
      attempts: 1,
    });
  });

  it('keeps trying until a server starts listening late', async () => {
    const port = await freePort();
    const server = createServer((socket) => socket.destroy());
    defer(() => closeServer(server));
    const late = setTimeout(() => server.listen(port, '127.0.0.1'), 100);
    defer(() => clearTimeout(late));
    const result = await waitForReady({
      server: 'db',
      probes: [tcp],
      target: () => targetOf('127.0.0.1', port),
      startTimeoutMs: 10_000,
    });
    expect(server.listening).toBe(true);
    expect(result.attempts).toBeGreaterThan(1);
  });

  it('times out with the address and the refusal', async () => {
    const port = await freePort();
    const error = await waitForReady({
      server: 'db',
      probes: [tcp],
      target: () => targetOf('127.0.0.1', port),
      startTimeoutMs: 500,
      outputTail: () => ['db: booting'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadinessTimeoutError);
    expect(error).toMatchObject({
      code: 'ES_READINESS_TIMEOUT',
      name: 'ReadinessTimeoutError',
      server: 'db',
      probe: `tcp connect 127.0.0.1:${port}`,
      url: `http://127.0.0.1:${port}`,
      lastError: `connect ECONNREFUSED 127.0.0.1:${port}`,
      outputTail: ['db: booting'],
    });
    expect((error as ReadinessTimeoutError).elapsedMs).toBeGreaterThanOrEqual(500);
  });

  it('describes itself, naming both addresses for localhost', () => {
    const probe = new TcpProbe();
    expect(probe.describe(targetOf('127.0.0.1', 5432))).toBe('tcp connect 127.0.0.1:5432');
    expect(probe.describe(targetOf('::1', 5432))).toBe('tcp connect [::1]:5432');
    expect(probe.describe(targetOf('localhost', 5432))).toBe('tcp connect localhost:5432 (127.0.0.1 or ::1)');
    expect(probe.describe(targetOf('0.0.0.0', 5432))).toBe('tcp connect 0.0.0.0:5432 (127.0.0.1)');
  });
});
