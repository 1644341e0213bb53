import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CommandNotFoundError,
  ConfigError,
  defineServers,
  PortInUseError,
  ReadinessTimeoutError,
  ServerExitedError,
  startServers,
  type ServersHandle,
} from '../../src/index.js';
import { RUN_DIR_PREFIX } from '../../src/run/run-dir.js';
import { isLive, pidsInLog } from '../helpers/processes.js';
import { closeListeners, listenOn } from '../helpers/sockets.js';

const serverScript = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));
const eaccesScript = fileURLToPath(new URL('../fixtures/lifecycle-eacces.ts', import.meta.url));

// Run directories go under os.tmpdir(), which reads TMPDIR: a private one per test, so that runs of
// test files running in parallel are not counted.
const originalTmp = process.env.TMPDIR;
let privateTmp: string;
beforeEach(async () => {
  privateTmp = await mkdtemp(join(tmpdir(), 'es-bad-input-'));
  process.env.TMPDIR = privateTmp;
});
afterEach(async () => {
  await closeListeners();
  if (originalTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = originalTmp;
  await rm(privateTmp, { recursive: true, force: true });
});

/** A start that was expected to fail but did not: stop it (so nothing leaks into later tests) and return it. */
async function stopUnexpected(handle: ServersHandle): Promise<ServersHandle> {
  await handle.stop();
  return handle;
}

function runDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(RUN_DIR_PREFIX));
}

describe('bad input', () => {
  it('rejects an invalid config with one ConfigError listing every problem', async () => {
    const error = await startServers({
      api: { command: [], dependsOn: ['nope'] },
      web: { command: ['node'], stopTimeout: 5 } as never,
    }).then(stopUnexpected, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((i) => `${i.server}:${i.path}`)).toEqual(
      expect.arrayContaining(['api:command', 'api:dependsOn[0]', 'web:stopTimeout']),
    );
  });

  it('rejects a bad `slot` and an `only` naming no server with a ConfigError naming the option and the value, before anything starts', async () => {
    const config = defineServers({
      api: { command: ['node', serverScript, '--port', '{port}'] },
      cache: { command: ['node'], scope: 'worker' },
    });
    for (const slot of [0, -1, 1.5, Number.NaN]) {
      const error = await startServers(config, { slot }).then(stopUnexpected, (e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ code: 'ES_CONFIG_INVALID', issues: [{ path: 'slot' }] });
      expect((error as Error).message).toContain(
        `option \`slot\` is ${String(slot)}: it must be an integer of at least 1`,
      );
    }
    const error = await startServers(config, { only: ['api', 'cahce', 'zzz'] }).then(stopUnexpected, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path)).toEqual(['only[1]', 'only[2]']);
    expect((error as Error).message).toContain(
      'option `only` names no server "cahce". Did you mean "cache"? Servers: api, cache',
    );
    expect((error as Error).message).toContain('option `only` names no server "zzz". Servers: api, cache');
    expect(runDirs()).toEqual([]);
  });

  it('names a command that does not exist (ENOENT)', async () => {
    const error = await startServers(
      defineServers({ ghost: { command: ['definitely-not-a-command-xyz', '--port', '{port}'] } }),
    ).then(stopUnexpected, (e: unknown) => e);
    expect(error).toBeInstanceOf(CommandNotFoundError);
    expect(error).toMatchObject({ code: 'ES_COMMAND_NOT_FOUND', server: 'ghost' });
    expect((error as Error).message).toContain('definitely-not-a-command-xyz');
    expect(runDirs()).toEqual([]);
  });

  it('says which process holds a fixed port that is in use, for a command server and an in-process one', async () => {
    const port = await listenOn('127.0.0.1');
    const specs = {
      api: { command: ['node', serverScript, '--port', '{port}'], port },
      web: { app: () => () => undefined, port },
    };
    for (const [name, spec] of Object.entries(specs)) {
      const error = await startServers(defineServers({ [name]: spec })).then(stopUnexpected, (e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect(error).toMatchObject({ code: 'ES_PORT_IN_USE', server: name, port, holder: { pid: process.pid } });
      expect((error as Error).message).toContain(`pid ${process.pid}`);
    }
  });

  it('reports EACCES for a privileged port without permission', () => {
    // We run as root on CI; the check runs as an unprivileged user (uid 65534).
    const isRoot = process.getuid?.() === 0;
    const home = join(privateTmp, 'nobody');
    mkdirSync(home);
    chmodSync(privateTmp, 0o755);
    chmodSync(home, 0o777);
    const result = spawnSync(process.execPath, ['--import', 'tsx', eaccesScript], {
      encoding: 'utf8',
      ...(isRoot ? { uid: 65534, gid: 65534 } : {}),
      env: { ...process.env, HOME: home, TMPDIR: home },
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ name: 'PortPermissionError', code: 'ES_PORT_ACCESS', port: 80 });
  });

  it('fails at once with the exit code and output of a server that crashes at boot', async () => {
    const error = await startServers(
      defineServers({ crashy: { command: ['node', serverScript, '--crash', '--name', 'crashy'] } }),
    ).then(stopUnexpected, (e: unknown) => e);
    expect(error).toBeInstanceOf(ServerExitedError);
    expect(error).toMatchObject({ code: 'ES_SERVER_EXITED', server: 'crashy', exit: { code: 3, signal: null } });
    expect((error as ServerExitedError).outputTail.join('\n')).toContain('crashy: fatal: config file missing');
    expect((error as Error).message).toContain('fatal: config file missing');
  });

  it('times out a server that never becomes ready, naming probe, URL and output, and kills it', async () => {
    const error = await startServers(
      defineServers({
        mute: {
          command: ['node', serverScript, '--no-listen', '--name', 'mute'],
          startTimeoutMs: 1500,
          readiness: { type: 'http', path: '/health' },
        },
      }),
    ).then(stopUnexpected, (e: unknown) => e);
    expect(error).toBeInstanceOf(ReadinessTimeoutError);
    const timeout = error as ReadinessTimeoutError;
    expect(timeout).toMatchObject({ code: 'ES_READINESS_TIMEOUT', server: 'mute' });
    expect(timeout.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(timeout.probe).toContain('/health');
    expect(timeout.elapsedMs).toBeGreaterThanOrEqual(1500);
    expect(timeout.lastError).toMatch(/ECONNREFUSED/);
    const [pid] =
      timeout.outputTail
        .join('\n')
        .match(/mute booting pid=(\d+)/)
        ?.slice(1)
        .map(Number) ?? [];
    expect(pid).toBeGreaterThan(0);
    expect(isLive(pid!)).toBe(false);
  });

  it('stops what already started when another server fails, and leaves no run directory', async () => {
    const pidFile = join(await mkdtemp(join(tmpdir(), 'es-bad-')), 'pids.txt');
    const error = await startServers(
      defineServers({
        ok: {
          command: ['node', serverScript, '--port', '{port}', '--name', 'ok', '--grandchild', '--pid-file', pidFile],
        },
        bad: { command: ['node', serverScript, '--crash', '--name', 'bad'], dependsOn: ['ok'] },
        after: { command: ['node', serverScript, '--port', '{port}'], dependsOn: ['bad'] },
      }),
    ).then(stopUnexpected, (e: unknown) => e);
    expect(error).toBeInstanceOf(ServerExitedError);
    expect(error).toMatchObject({ server: 'bad' });
    const pids = [...pidsInLog(pidFile, 'ok'), ...pidsInLog(pidFile, 'grandchild')];
    expect(pids).toHaveLength(2);
    expect(pids.filter(isLive)).toEqual([]);
    expect(runDirs()).toEqual([]);
  });
});
