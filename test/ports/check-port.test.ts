import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { closeListeners, listenOn } from '../helpers/sockets.js';
import { PortInUseError, PortPermissionError } from '../../src/errors.js';
import { assertPortAvailable } from '../../src/ports/index.js';
import { killFixtures, startFixture } from './fixture-process.js';
import { findFreePortRun } from './free-port-run.js';

afterEach(async () => {
  await closeListeners();
  await killFixtures();
});

async function ownCommandLine(): Promise<string> {
  return (await readFile('/proc/self/cmdline', 'utf8')).split('\0').filter(Boolean).join(' ');
}

describe('assertPortAvailable', () => {
  it('resolves for a free port', async () => {
    const [port] = await findFreePortRun(1);
    await expect(assertPortAvailable('api', '127.0.0.1', port)).resolves.toBeUndefined();
  });

  it('throws PortInUseError naming this process when it holds the port', async () => {
    const port = await listenOn('127.0.0.1');
    const error = await assertPortAvailable('api', '127.0.0.1', port).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect(error).toMatchObject({
      name: 'PortInUseError',
      code: 'ES_PORT_IN_USE',
      server: 'api',
      host: '127.0.0.1',
      port,
      holder: { pid: process.pid, command: await ownCommandLine() },
    });
    expect((error as Error & { cause: { code: string } }).cause.code).toBe('EADDRINUSE');
    console.log((error as Error).message);
  });

  it("names another process that holds the port, on IPv6 too, and checks both families for 'localhost'", async () => {
    // A port of 5000-9999, free on 127.0.0.1 too: port 0 on ::1 could be one that 127.0.0.1 has
    // bound elsewhere (the race test holds 2000 ephemeral ports), and 'localhost' checks both.
    const [port] = await findFreePortRun(1);
    const listener = startFixture('port-listener.ts', ['::1', String(port)]);
    await listener.firstLine;
    const error = await assertPortAvailable('db', 'localhost', port).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ES_PORT_IN_USE', host: 'localhost', port, holder: { pid: listener.pid } });
    expect((error as PortInUseError).holder?.command).toMatch(new RegExp(`port-listener\\.ts ::1 ${port}$`));
    console.log((error as Error).message);
  });

  it('throws PortPermissionError for a privileged port as an unprivileged user', async () => {
    const start = Number(await readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    expect(start, 'ip_unprivileged_port_start must be above 80 for this test').toBeGreaterThan(80);
    // We run as root, which may bind port 80: run the check as nobody (uid 65534). tsx caches in
    // <os.tmpdir()>/tsx-<uid>, so that user needs only read access to the repository.
    const check = startFixture('port-check-unprivileged.ts', ['127.0.0.1', '80'], { uid: 65_534, gid: 65_534 });
    const outcome = await check.firstLine;
    expect(outcome).toMatchObject({ uid: 65_534, name: 'PortPermissionError', code: 'ES_PORT_ACCESS' });
    expect(outcome.message).toContain('no permission to bind port 80 on 127.0.0.1 (EACCES)');
    expect(new PortPermissionError('web', '127.0.0.1', 80).message).toBe(outcome.message);
  });

  it('rethrows other bind errors unchanged', async () => {
    await expect(assertPortAvailable('api', '192.0.2.1', 4000)).rejects.toMatchObject({
      code: 'EADDRNOTAVAIL',
      syscall: 'listen',
    });
  });
});
