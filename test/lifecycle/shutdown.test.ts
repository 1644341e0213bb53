import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect, createServer as createNetServer, type Server as NetServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineServers, startServers, StopError } from '../../src/index.js';
import { readState } from '../../src/state/index.js';
import { isLive, pidsInLog, waitUntilGone } from '../helpers/processes.js';

const serverScript = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-shutdown-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function server(name: string, ...extra: string[]): string[] {
  return ['node', serverScript, '--port', '{port}', '--name', name, '--record', join(dir, 'order.txt'), ...extra];
}

describe('shutdown', () => {
  it('stops a chain a ← b ← c in reverse dependency order: c, b, a', async () => {
    const servers = await startServers(
      defineServers({
        a: { command: server('a') },
        b: { command: server('b'), dependsOn: ['a'] },
        c: { command: server('c'), dependsOn: ['b'] },
        // Independent of the chain: may stop at any time.
        d: { command: server('d') },
      }),
    );
    await servers.stop();
    const order = readFileSync(join(dir, 'order.txt'), 'utf8')
      .trim()
      .split('\n')
      .filter((n) => n !== 'd');
    expect(order).toEqual(['c', 'b', 'a']);
  });

  it('SIGKILLs a server that ignores SIGTERM once stopTimeoutMs has passed', async () => {
    const servers = await startServers(
      defineServers({ stubborn: { command: server('stubborn', '--ignore-sigterm'), stopTimeoutMs: 300 } }),
    );
    const { pid } = (await readState(servers.run.stateFile)).servers['stubborn@0']!;
    await servers.stop();
    expect(isLive(pid)).toBe(false);
    // It did get (and ignore) the graceful signal first.
    expect(readFileSync(join(dir, 'order.txt'), 'utf8')).toBe('stubborn\n');
  });

  it('leaves no grandchild behind', async () => {
    const servers = await startServers(defineServers({ parent: { command: server('parent', '--grandchild') } }));
    const entry = (await readState(servers.run.stateFile)).servers['parent@0']!;
    const [grandchild] = pidsInLog(entry.logPath!, 'grandchild');
    expect(grandchild).toBeGreaterThan(0);
    expect(isLive(grandchild!)).toBe(true);
    await servers.stop();
    // stop() resolves only when the whole process group is gone.
    expect([entry.pid, grandchild!].filter(isLive)).toEqual([]);
  });

  it('closes an in-process server promptly despite an open keep-alive connection', async () => {
    const servers = await startServers(
      // A hang in close() would hit the 60 s stopTimeoutMs and then the test timeout.
      defineServers({ api: { app: () => (_req, res) => res.end('ok'), stopTimeoutMs: 60_000 } }),
    );
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request(servers.getEndpoint('api').url, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
    await servers.stop();
    agent.destroy();
  });

  it('closes a listen/close app on a plain net.Server that a client holds a connection to, within its stopTimeoutMs', async () => {
    // Not HTTP: nothing closes idle connections, and net.Server#close() waits for every connection to end.
    const app = (): {
      server: NetServer;
      listen(options: { port: number; host: string }): Promise<NetServer>;
      close(): Promise<void>;
    } => {
      const server = createNetServer((socket) => socket.write('hello\n'));
      return {
        server,
        listen: ({ port, host }) => new Promise((resolve) => server.listen(port, host, () => resolve(server))),
        close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
      };
    };
    // And one whose close() fails: the StopError names it (its line starts with its key), the others still stop.
    const broken = app();
    const servers = await startServers(
      defineServers({
        raw: { app, stopTimeoutMs: 300 },
        broken: { app: () => ({ ...broken, close: () => Promise.reject(new Error('close failed')) }) },
      }),
    );
    const client = connect(servers.getEndpoint('raw').port, '127.0.0.1');
    await once(client, 'data');
    const closed = once(client, 'close');
    const startedAt = performance.now();
    const error = await servers.stop().then(
      () => undefined,
      (e: unknown) => e,
    );
    await closed;
    broken.server.close();
    expect(error).toBeInstanceOf(StopError);
    expect((error as Error).message).toContain('Could not stop 1 server(s):\n  - broken@0: close failed\n');
    const elapsedMs = performance.now() - startedAt;
    console.log(`listen/close app with a held connection closed in ${Math.round(elapsedMs)} ms (stopTimeoutMs 300)`);
    // The guarantee: it does not hang (it did, until the test's timeout, while the socket set stayed empty).
    expect(elapsedMs).toBeLessThan(2000);
  });

  it('stops every server, even when several stop at once', async () => {
    const servers = await startServers(
      defineServers(Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`s${i}`, { command: server(`s${i}`) }]))),
    );
    const pids = Object.values((await readState(servers.run.stateFile)).servers).map((e) => e.pid);
    await servers.stop();
    expect(await waitUntilGone(pids, 0)).toEqual([]);
  });
});
