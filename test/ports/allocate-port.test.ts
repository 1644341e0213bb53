import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortExhaustedError } from '../../src/errors.js';
import {
  allocatePort,
  ALLOCATION_WINDOW_FIRST,
  readEphemeralPortRange,
  reservePort,
  type PortReservation,
} from '../../src/ports/index.js';
import { findFreePortRun } from './free-port-run.js';

let dir: string;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-ports-allocate-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

function hold<T extends PortReservation>(reservation: T): T {
  cleanups.push(() => reservation.release());
  return reservation;
}

function listen(port: number, host = '127.0.0.1'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port }, () => {
      cleanups.push(() => new Promise((done) => server.close(() => done())));
      resolve(server);
    });
  });
}

describe('allocatePort', () => {
  it('returns a free port below the ephemeral range (no listen(0) can take it), reserved until released', async () => {
    const allocated = hold(await allocatePort({ reservationDir: dir }));
    const { first } = readEphemeralPortRange();
    expect(allocated.fromRange).toBe(false);
    // Linux's default ephemeral range starts at 32768: the window is 10000-32767.
    expect(allocated.port).toBeGreaterThanOrEqual(ALLOCATION_WINDOW_FIRST);
    expect(allocated.port).toBeLessThan(first);
    expect(await reservePort(allocated.port, { dir })).toBeUndefined();
    await listen(allocated.port); // free indeed
    await allocated.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('gives concurrent callers of one process different ports', async () => {
    const allocated = await Promise.all(Array.from({ length: 20 }, () => allocatePort({ reservationDir: dir })));
    allocated.forEach(hold);
    expect(new Set(allocated.map((entry) => entry.port)).size).toBe(20);
  });

  it('prefers the range, skipping excluded, reserved and bound ports', async () => {
    const range = await findFreePortRun(5);
    const [first] = range;
    hold((await reservePort(first + 1, { dir }))!); // reserved by someone else (in this process, as good)
    await listen(first + 2);
    const allocated = hold(await allocatePort({ range, exclude: [first], reservationDir: dir }));
    const next = hold(await allocatePort({ range, exclude: [first], reservationDir: dir }));
    expect([allocated, next].every((entry) => entry.fromRange)).toBe(true);
    expect(new Set([allocated.port, next.port])).toEqual(new Set([first + 3, first + 4]));
    const third = hold(await allocatePort({ range, exclude: [first], reservationDir: dir }));
    expect(third.fromRange).toBe(false);
  });

  it('tries range ports in random order, not from the first one up', async () => {
    const range = await findFreePortRun(50);
    const ports = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const allocated = await allocatePort({ range, reservationDir: dir });
      await allocated.release();
      expect(allocated.fromRange).toBe(true);
      ports.add(allocated.port);
    }
    // In order, all 10 would be range[0]; at random, 10 equal ports have a chance of 50^-9.
    expect(ports.size).toBeGreaterThan(1);
  });

  it('tries range ports with a claim last, and takes a stale one over before leaving the range', async () => {
    const range = await findFreePortRun(3);
    const stale = range[0] + 1;
    // A claim of a process that does not exist (pid 2^31 - 1): stale, removed by the reservation attempt.
    await mkdir(join(dir, String(stale)), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, String(stale), '2147483647-x-5ca1e'), '');
    const unclaimed = [
      hold(await allocatePort({ range, reservationDir: dir })),
      hold(await allocatePort({ range, reservationDir: dir })),
    ];
    expect(new Set(unclaimed.map((entry) => entry.port))).toEqual(new Set([range[0], range[1]]));
    const takenOver = hold(await allocatePort({ range, reservationDir: dir }));
    expect(takenOver).toMatchObject({ port: stale, fromRange: true });
    expect(await readdir(join(dir, String(stale)))).not.toContain('2147483647-x-5ca1e');
  });

  it('falls back to any free port when the whole range is taken', async () => {
    const range = await findFreePortRun(3);
    for (let port = range[0]; port <= range[1]; port++) await listen(port);
    const allocated = hold(await allocatePort({ range, reservationDir: dir }));
    expect(allocated.fromRange).toBe(false);
    expect(allocated.port < range[0] || allocated.port > range[1]).toBe(true);
  });

  it('throws PortExhaustedError after maxAttempts candidates', async () => {
    const range = await findFreePortRun(3);
    for (let port = range[0]; port <= range[1]; port++) hold((await reservePort(port, { dir }))!);
    const error = await allocatePort({ server: 'api', range, maxAttempts: 3, reservationDir: dir }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PortExhaustedError);
    expect(error).toMatchObject({ name: 'PortExhaustedError', code: 'ES_PORT_EXHAUSTED', server: 'api', attempts: 3 });
    expect((error as Error).message).toMatch(
      /^Server "api": could not get a port after 3 attempts: .*0 port\(s\) were in use, 3 reserved by other processes/,
    );
    console.log((error as Error).message);
  });

  it('skips a crowded range cheaply: listening ports cost no attempt once a few were found in use', async () => {
    const range = await findFreePortRun(20);
    for (let port = range[0]; port < range[1]; port++) await listen(port);
    // At most 4 probes find ports in use, then /proc/net/tcp* tells the others: an attempt is left for the free one.
    const allocated = hold(await allocatePort({ range, maxAttempts: 5, reservationDir: dir }));
    expect(allocated).toMatchObject({ port: range[1], fromRange: true });
  });

  it('after a fallback, skips the listening ports of that range without an attempt', async () => {
    const range = await findFreePortRun(4);
    for (let port = range[0]; port <= range[1]; port++) await listen(port);
    // 3 attempts: all on range ports (each in use) while the range is not known to be full.
    await expect(allocatePort({ range, maxAttempts: 3, reservationDir: dir })).rejects.toBeInstanceOf(
      PortExhaustedError,
    );
    // Now it is: /proc/net/tcp* is read first, and the 3 attempts go to the allocation window.
    const allocated = hold(await allocatePort({ range, maxAttempts: 3, reservationDir: dir }));
    expect(allocated.fromRange).toBe(false);
  });

  it('rethrows unexpected bind errors and leaves no reservation behind', async () => {
    // 192.0.2.1 (TEST-NET-1, RFC 5737) is not a local address: EADDRNOTAVAIL.
    await expect(allocatePort({ host: '192.0.2.1', reservationDir: dir })).rejects.toMatchObject({
      code: 'EADDRNOTAVAIL',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('checks its options', async () => {
    await expect(allocatePort({ range: [3000, 2000], reservationDir: dir })).rejects.toThrow(
      '`range` must have first <= last, received [3000, 2000]',
    );
    await expect(allocatePort({ range: [0, 10], reservationDir: dir })).rejects.toThrow(RangeError);
    await expect(allocatePort({ range: [1] as unknown as [number, number], reservationDir: dir })).rejects.toThrow(
      TypeError,
    );
    await expect(allocatePort({ exclude: [70_000], reservationDir: dir })).rejects.toThrow(
      '`exclude[]` must be an integer',
    );
    await expect(allocatePort({ maxAttempts: 0, reservationDir: dir })).rejects.toThrow(
      '`maxAttempts` must be a positive integer, received 0',
    );
    await expect(allocatePort({ host: '', reservationDir: dir })).rejects.toThrow(TypeError);
  });
});
