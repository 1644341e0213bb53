// Connection URLs, per-instance scratch directories ({tmpDir}), setup steps and `user`, against real
// child processes spawned by a real supervisor.
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createOwnedRun } from '../../src/run/owned-run.js';
import { defineServers, SetupStepError, ServerStartError, startServers, type ServersHandle } from '../../src/index.js';
import { readState } from '../../src/state/index.js';
import { isLive, waitUntilGone } from '../helpers/processes.js';

const serverScript = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));
const handles: ServersHandle[] = [];
const scratch: string[] = [];
afterEach(async () => {
  await Promise.allSettled(handles.splice(0).map((h) => h.stop()));
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(...args: Parameters<typeof startServers>): Promise<ServersHandle> {
  const handle = await startServers(...args);
  handles.push(handle);
  return handle;
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

/** A directory outside the run, for files a test reads after the run is gone. */
function outsideDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'es-setup-test-'));
  scratch.push(dir);
  return dir;
}

function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

describe('connection URLs (`url`)', () => {
  it('is the endpoint url, the state entry url and {<server>.url} of a dependent server', async () => {
    const servers = await start(
      defineServers({
        cache: {
          command: ['node', serverScript, '--port', '{port}', '--name', 'cache'],
          url: 'redis://{host}:{port}/0',
        },
        api: {
          command: ['node', serverScript, '--port', '{port}', '--name', 'api', '--env-echo', 'CACHE_URL'],
          env: { CACHE_URL: '{cache.url}' },
          dependsOn: ['cache'],
          readiness: 'http',
        },
      }),
    );
    const cache = servers.getEndpoint('cache');
    expect(cache.url).toBe(`redis://127.0.0.1:${cache.port}/0`);
    expect((await readState(servers.run.stateFile)).servers['cache@0']?.endpoint.url).toBe(cache.url);
    expect(await get(`${servers.getEndpoint('api').url}/env`)).toBe(cache.url);
  });

  it('brackets an IPv6 {host}, and an http probe with its own url checks a server whose url is not http', async () => {
    const servers = await start(
      defineServers({
        db: {
          command: ['node', serverScript, '--port', '{port}', '--host', '{host}'],
          host: '::1',
          url: 'postgresql://postgres@{host}:{port}/postgres',
          readiness: { type: 'http', url: 'http://{host}:{port}/' },
        },
      }),
    );
    const db = servers.getEndpoint('db');
    expect(db.url).toBe(`postgresql://postgres@[::1]:${db.port}/postgres`);
    expect(db.host).toBe('::1');
  });
});

describe('scratch directories ({tmpDir})', () => {
  it('gives each instance its own 0700 directory, usable as cwd, removed when the instance stops', async () => {
    const config = defineServers({
      w: {
        scope: 'worker',
        command: ['node', serverScript, '--port', '{port}', '--pid-file', '{tmpDir}/pids'],
        cwd: '{tmpDir}',
        env: { SCRATCH: '{tmpDir}' },
      },
    });
    const owned = await createOwnedRun({ exportEnv: false });
    try {
      const one = await startServers(config, { stateFile: owned.run.stateFile, slot: 1, exportEnv: false });
      const two = await startServers(config, { stateFile: owned.run.stateFile, slot: 2, exportEnv: false });
      const state = await readState(owned.run.stateFile);
      const first = state.servers['w@1']!;
      const second = state.servers['w@2']!;
      expect(first.tmpDir).toBeDefined();
      expect(second.tmpDir).toBeDefined();
      expect(first.tmpDir).not.toBe(second.tmpDir);
      for (const entry of [first, second]) {
        expect(dirname(entry.tmpDir!)).toBe(join(owned.run.runDir, 'tmp'));
        expect(statSync(entry.tmpDir!).mode & 0o777).toBe(0o700);
        expect(readlinkSync(`/proc/${entry.pid}/cwd`)).toBe(entry.tmpDir);
        expect(readFileSync(join(entry.tmpDir!, 'pids'), 'utf8')).toContain(`pid=${entry.pid}`);
      }
      await one.stop();
      expect(isLive(first.pid)).toBe(false);
      expect(existsSync(first.tmpDir!)).toBe(false);
      expect(existsSync(second.tmpDir!)).toBe(true);
      await two.stop();
      expect(existsSync(second.tmpDir!)).toBe(false);
    } finally {
      await owned.stopAll();
      await owned.end();
    }
    expect(existsSync(owned.run.runDir)).toBe(false);
  });

  it('is removed by the supervisor when the run ends without stopping the instance', async () => {
    const owned = await createOwnedRun({ exportEnv: false });
    const handle = await startServers(
      defineServers({ s: { command: ['node', serverScript, '--port', '{port}'], cwd: '{tmpDir}' } }),
      {
        stateFile: owned.run.stateFile,
        exportEnv: false,
      },
    );
    await handle.detach();
    const entry = (await readState(owned.run.stateFile)).servers['s@0']!;
    expect(existsSync(entry.tmpDir!)).toBe(true);
    await owned.end(); // the supervisor reaps what is left, then removes the run directory
    expect(await waitUntilGone([entry.pid])).toEqual([]);
    expect(existsSync(entry.tmpDir!)).toBe(false);
    expect(existsSync(owned.run.runDir)).toBe(false);
  });
});

describe('setup steps (`setup`)', () => {
  it('runs the steps in order, in cwd with the placeholders, before the command; their output goes to the log', async () => {
    const servers = await start(
      defineServers({
        db: {
          setup: [
            ['sh', '-c', 'echo "one {port}" >> steps; echo first-step-output'],
            ['sh', '-c', 'echo two >> steps; test -f steps'],
          ],
          command: ['sh', '-c', 'cp steps steps-seen-by-server && exec node "$0" --port {port}', serverScript],
          cwd: '{tmpDir}',
        },
      }),
    );
    const entry = (await readState(servers.run.stateFile)).servers['db@0']!;
    expect(readFileSync(join(entry.tmpDir!, 'steps-seen-by-server'), 'utf8')).toBe(
      `one ${servers.getEndpoint('db').port}\ntwo\n`,
    );
    expect(readFileSync(entry.logPath!, 'utf8')).toContain('first-step-output');
    expect(entry.status).toBe('running');
  });

  it('a failing step fails the start with SetupStepError (exit status, output tail); the command never runs, nothing is left', async () => {
    const outside = outsideDir();
    const marker = join(outside, 'server-ran');
    const owned = await createOwnedRun({ exportEnv: false });
    try {
      const error = await startServers(
        defineServers({
          db: {
            setup: [
              ['sh', '-c', 'echo ok'],
              [
                'sh',
                '-c',
                `echo "{tmpDir}" > ${outside}/tmpdir; echo initdb: cannot create data directory >&2; exit 7`,
              ],
            ],
            command: ['sh', '-c', `touch ${marker}; sleep 30`],
          },
        }),
        { stateFile: owned.run.stateFile, exportEnv: false },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SetupStepError);
      const setupError = error as SetupStepError;
      expect(setupError).toMatchObject({
        code: 'ES_SETUP_FAILED',
        server: 'db',
        step: 1,
        exit: { code: 7, signal: null },
      });
      expect(setupError.argv[0]).toBe('sh');
      expect(setupError.outputTail.join('\n')).toContain('initdb: cannot create data directory');
      expect(setupError.message).toContain('setup[1]');
      expect(existsSync(marker)).toBe(false);
      const tmpDir = readFileSync(join(outside, 'tmpdir'), 'utf8').trim();
      expect(tmpDir.startsWith(join(owned.run.runDir, 'tmp'))).toBe(true);
      expect(existsSync(tmpDir)).toBe(false);
      expect((await readState(owned.run.stateFile)).servers).toEqual({});
    } finally {
      await owned.end();
    }
  });

  it('a step still running at the start deadline is stopped and fails the start', async () => {
    const outside = outsideDir();
    const startedAt = performance.now();
    const error = await start(
      defineServers({
        db: {
          setup: [['sh', '-c', `echo $$ > ${outside}/step.pid; exec sleep 30`]],
          command: ['node', serverScript, '--port', '{port}'],
          startTimeoutMs: 400,
        },
      }),
    ).catch((e: unknown) => e);
    const elapsedMs = performance.now() - startedAt;
    expect(error).toBeInstanceOf(SetupStepError);
    expect((error as SetupStepError).exit).toBeUndefined();
    expect((error as SetupStepError).message).toContain('startTimeoutMs 400 ms');
    const stepPid = Number(readFileSync(join(outside, 'step.pid'), 'utf8'));
    expect(await waitUntilGone([stepPid])).toEqual([]);
    console.log(
      `setup step stopped at the deadline: start failed after ${elapsedMs.toFixed(0)} ms (startTimeoutMs 400)`,
    );
  });

  it('a step killed by the run teardown leaves nothing behind: no process, no scratch directory, no entry', async () => {
    const outside = outsideDir();
    const owned = await createOwnedRun({ exportEnv: false });
    const starting = startServers(
      defineServers({
        db: {
          // The pid file last: once it is written, so is the other.
          setup: [['sh', '-c', `echo {tmpDir} > ${outside}/tmpdir; echo $$ > ${outside}/step.pid; exec sleep 30`]],
          command: ['node', serverScript, '--port', '{port}'],
        },
      }),
      { stateFile: owned.run.stateFile, exportEnv: false },
    ).catch((e: unknown) => e);
    const pidFile = join(outside, 'step.pid');
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') await new Promise((r) => setTimeout(r, 5));
    const stepPid = Number(readFileSync(pidFile, 'utf8'));
    const tmpDir = readFileSync(join(outside, 'tmpdir'), 'utf8').trim();
    expect(isLive(stepPid)).toBe(true);
    await owned.stopAll(); // the owner's teardown: stop everything recorded, then end the run
    await owned.end();
    expect(await starting).toBeInstanceOf(Error);
    expect(await waitUntilGone([stepPid])).toEqual([]);
    expect(existsSync(tmpDir)).toBe(false);
    expect(existsSync(owned.run.runDir)).toBe(false);
  });
});

describe('running as another user (`user`)', () => {
  it(
    process.getuid?.() === 0
      ? 'as root: setup and command run as that user, who owns {tmpDir}'
      : 'not as root: refused with ServerStartError',
    async () => {
      const config = defineServers({
        s: {
          user: 'nobody',
          setup: [['sh', '-c', 'id -u > whoami-setup']],
          command: ['node', serverScript, '--port', '{port}'],
          cwd: '{tmpDir}',
        },
      });
      if (process.getuid?.() !== 0) {
        const error = await start(config).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ServerStartError);
        expect((error as Error).message).toContain('needs this process to run as root');
        return;
      }
      const servers = await start(config);
      const entry = (await readState(servers.run.stateFile)).servers['s@0']!;
      const nobody = statSync(entry.tmpDir!).uid;
      expect(nobody).not.toBe(0);
      expect(uidOf(entry.pid)).toBe(nobody);
      expect(readFileSync(join(entry.tmpDir!, 'whoami-setup'), 'utf8').trim()).toBe(String(nobody));
      // The run directory lets that user through to its own directory, and nobody list it.
      expect(statSync(servers.run.runDir).mode & 0o777).toBe(0o711);
      expect(statSync(servers.run.stateFile).mode & 0o777).toBe(0o600);
      await servers.stop();
      expect(isLive(entry.pid)).toBe(false);
      expect(existsSync(entry.tmpDir!)).toBe(false);
    },
  );

  it('a user that does not exist is a ServerStartError naming the field', async () => {
    const error = await start(
      defineServers({ s: { user: 'no-such-user-es', command: ['node', serverScript, '--port', '{port}'] } }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerStartError);
    expect((error as Error).message).toMatch(/`user` "no-such-user-es" names no user/);
  });
});
