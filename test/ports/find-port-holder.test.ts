import { afterEach, describe, expect, it } from 'vitest';
import { closeListeners, listenOn } from '../helpers/sockets.js';
import { findPortHolder } from '../../src/ports/index.js';
import { killFixtures, startFixture } from './fixture-process.js';
import { findFreePortRun } from './free-port-run.js';

afterEach(async () => {
  await closeListeners();
  await killFixtures();
});

describe('findPortHolder', () => {
  it('finds this process, on IPv4 and on the IPv6 wildcard', async () => {
    for (const host of ['127.0.0.1', '::']) {
      const port = await listenOn(host);
      expect(await findPortHolder(port)).toMatchObject({ pid: process.pid });
    }
  });

  it('finds another process and its command line', async () => {
    const listener = startFixture('port-listener.ts', ['0.0.0.0', '0']);
    const { port } = (await listener.firstLine) as { port: number };
    const holder = await findPortHolder(port);
    expect(holder?.pid).toBe(listener.pid);
    expect(holder?.command).toBe(`${process.execPath} --import tsx ${listener.child.spawnargs[3]} 0.0.0.0 0`);
  });

  it('answers undefined when nothing listens on the port', async () => {
    const [port] = await findFreePortRun(1);
    expect(await findPortHolder(port)).toBeUndefined();
  });
});
