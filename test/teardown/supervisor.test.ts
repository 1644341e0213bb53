import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getEndpoint, ServerDaemonizedError, ServerDeadError, startServers } from '../../src/index.js';
import { fileURLToPath } from 'node:url';
import { createOwnedRun } from '../../src/run/owned-run.js';
import { isLive, pidsInLog } from '../helpers/processes.js';
import { fixture, readJsonIfThere, readLines, report, Sandbox, timeUntilGone, waitFor } from './helpers.js';

const serverScript = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

interface Ready {
  stateFile: string;
  runDir: string;
  supervisorPid: number;
}

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await Sandbox.create();
});
afterEach(async () => {
  await sandbox.cleanup();
});

/**
 * Starts supervised-owner.mjs: a ← b ← c (c with a grandchild), e (with an escaped grandchild) and w
 * (worker-scoped, handed over by a worker that has exited). Commands go in on stdin, answers come back
 * as JSON lines.
 */
async function startOwner() {
  const files = {
    ready: join(sandbox.dir, 'ready.json'),
    order: join(sandbox.dir, 'order.txt'),
    pids: join(sandbox.dir, 'pids.txt'),
  };
  const env = sandbox.env({ READY_FILE: files.ready, ORDER_FILE: files.order, PIDS_FILE: files.pids });
  const child: ChildProcess = spawn(process.execPath, [fixture('supervised-owner.mjs')], {
    env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const answers: unknown[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{')) answers.push(JSON.parse(line));
    else output += `${line}\n`;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = await waitFor(
    'the owner to be ready',
    () => readJsonIfThere<Ready>(files.ready) ?? (child.exitCode !== null && fail(output)),
    60_000,
  );
  const pids = (): number[] =>
    ['a', 'b', 'c', 'e', 'w', 'x', 'grandchild', 'escaped'].flatMap((label) => pidsInLog(files.pids, label));
  sandbox.track(ready.supervisorPid, ...pids());
  const ask = async <T>(command: string): Promise<T> => {
    const before = answers.length;
    child.stdin!.write(`${command}\n`);
    return waitFor(
      `an answer to \`${command}\``,
      () => (answers.length > before ? (answers[before] as T) : undefined),
      30_000,
    );
  };
  return { child, exited, ready, files, pids, ask, output: () => output };
}

/** Polls an async `probe` every 10 ms until it resolves to something other than `undefined`. */
async function waitForAsync<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function fail(output: string): never {
  throw new Error(`the owner exited early:\n${output}`);
}

function corrupt(stateFile: string): void {
  writeFileSync(stateFile, '{ "version": 2, "runId": ');
}

describe('the run supervisor', () => {
  it('owner SIGKILLed with a chain a ← b ← c: the supervisor stops c, b, a in that order, and the escaped grandchild', async () => {
    const owner = await startOwner();
    const pids = owner.pids();
    expect(pids).toHaveLength(7);
    const killedAt = performance.now();
    owner.child.kill('SIGKILL');
    const { ms, live } = await timeUntilGone(pids, killedAt);
    report(
      `supervisor reap after owner SIGKILL: ${pids.length} processes (one escaped into its own session) gone ${ms.toFixed(0)} ms after the kill`,
    );
    expect(live).toEqual([]);
    const order = readLines(owner.files.order);
    expect(order.filter((name) => ['a', 'b', 'c'].includes(name))).toEqual(['c', 'b', 'a']);
    await waitFor('the run directory to be removed', () => sandbox.runDirs().length === 0, 5000);
  });

  it('state file corrupted mid-run: the owner teardown still stops every server, the handed-over one included, without a false error', async () => {
    const owner = await startOwner();
    const pids = owner.pids();
    corrupt(owner.ready.stateFile);
    expect(await owner.ask('teardown')).toEqual({ ok: true });
    expect(pids.filter(isLive).map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8'))).toEqual([]);
    expect(readLines(owner.files.order).filter((name) => name !== 'e')).toEqual(['w', 'c', 'b', 'a']);
    expect(sandbox.runDirs()).toEqual([]);
  });

  it('state file corrupted, then the owner SIGKILLed: nothing is left', async () => {
    const owner = await startOwner();
    const pids = owner.pids();
    corrupt(owner.ready.stateFile);
    const killedAt = performance.now();
    owner.child.kill('SIGKILL');
    const { ms, live } = await timeUntilGone(pids, killedAt);
    report(`corrupt state file + owner SIGKILL: ${pids.length} processes gone ${ms.toFixed(0)} ms after the kill`);
    expect(live).toEqual([]);
    await waitFor('the run directory to be removed', () => sandbox.runDirs().length === 0, 5000);
  });

  it('a corrupted or deleted state file is rewritten from memory', async () => {
    const owner = await startOwner();
    corrupt(owner.ready.stateFile);
    const endpoint = await waitForAsync(
      'the state file to be rewritten',
      async () =>
        Promise.resolve()
          .then(() => getEndpoint('a', { stateFile: owner.ready.stateFile }))
          .catch(() => undefined),
      5000,
    );
    expect(endpoint.port).toBeGreaterThan(0);
    rmSync(owner.ready.stateFile);
    await waitFor(
      'the deleted state file to be rewritten',
      () => readJsonIfThere<{ servers: object }>(owner.ready.stateFile),
      5000,
    );
    expect(await owner.ask('teardown')).toEqual({ ok: true });
  });

  it('run directory removed mid-run, then the owner SIGKILLed: nothing is left', async () => {
    const owner = await startOwner();
    const pids = owner.pids();
    rmSync(owner.ready.runDir, { recursive: true, force: true });
    const killedAt = performance.now();
    owner.child.kill('SIGKILL');
    const { ms, live } = await timeUntilGone(pids, killedAt);
    report(`run directory removed + owner SIGKILL: ${pids.length} processes gone ${ms.toFixed(0)} ms after the kill`);
    expect(live).toEqual([]);
    await waitFor('the supervisor to exit', () => !isLive(owner.ready.supervisorPid), 5000);
  });

  it('supervisor SIGKILLed mid-run: the owner starts a new one that adopts the servers; new servers start; an owner SIGKILL then leaves nothing', async () => {
    const owner = await startOwner();
    const killedAt = performance.now();
    process.kill(owner.ready.supervisorPid, 'SIGKILL');
    const next = await waitFor(
      'a new supervisor',
      () => {
        const identity = readJsonIfThere<{ pid: number }>(join(owner.ready.runDir, 'supervisor.json'));
        return identity !== undefined && identity.pid !== owner.ready.supervisorPid && isLive(identity.pid)
          ? identity.pid
          : undefined;
      },
      10_000,
    );
    report(
      `supervisor SIGKILL: a new supervisor adopted the run ${(performance.now() - killedAt).toFixed(0)} ms later`,
    );
    sandbox.track(next);
    // The servers lived on, and the run goes on: a new server starts, and the old ones are still found.
    expect(owner.pids().filter(isLive)).toEqual(owner.pids());
    const started = await owner.ask<{ pid: number }>('start x 2');
    expect(isLive(started.pid)).toBe(true);
    expect(getEndpoint('x', { stateFile: owner.ready.stateFile, slot: 2 })).toMatchObject({ name: 'x', slot: 2 });
    expect(getEndpoint('a', { stateFile: owner.ready.stateFile })).toMatchObject({ name: 'a' });
    const pids = owner.pids();
    expect(pids).toContain(started.pid);
    const ownerKilledAt = performance.now();
    owner.child.kill('SIGKILL');
    const { ms, live } = await timeUntilGone(pids, ownerKilledAt);
    report(`adopting supervisor, owner SIGKILL: ${pids.length} processes gone ${ms.toFixed(0)} ms after the kill`);
    expect(live).toEqual([]);
    await waitFor('the run directory to be removed', () => sandbox.runDirs().length === 0, 5000);
  });

  it('a server killed from outside is recorded dead with its signal, also when the worker that started it has exited', async () => {
    const owner = await startOwner();
    const [wPid] = pidsInLog(owner.files.pids, 'w');
    const killedAt = performance.now();
    process.kill(wPid!, 'SIGKILL');
    const lookUp = (): Promise<unknown> =>
      Promise.resolve()
        .then(() => getEndpoint('w', { stateFile: owner.ready.stateFile, slot: 1 }))
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
    // Readers see a dead pid at once; the supervisor, its parent, records the exit status a moment later.
    await waitForAsync('getEndpoint to say w is dead', lookUp, 5000);
    const deadMs = performance.now() - killedAt;
    const error = await waitForAsync(
      'the exit status to be recorded',
      async () => ((await lookUp()) as ServerDeadError | undefined)?.exit && lookUp(),
      5000,
    );
    report(
      `server killed from outside: ServerDeadError ${deadMs.toFixed(1)} ms after the kill, with its recorded exit status ${(performance.now() - killedAt).toFixed(1)} ms after it`,
    );
    expect(error).toBeInstanceOf(ServerDeadError);
    expect(error).toMatchObject({ code: 'ES_SERVER_DEAD', server: 'w', exit: { code: null, signal: 'SIGKILL' } });
    expect(await owner.ask('teardown')).toEqual({ ok: true });
  });

  it('a worker that exits without handing its server over: the supervisor stops that server', async () => {
    const owner = await startOwner();
    const worker = spawn(process.execPath, [fixture('supervised-worker.mjs'), 'x', '3', 'keep'], {
      env: {
        ...sandbox.env({ ORDER_FILE: owner.files.order, PIDS_FILE: owner.files.pids }),
        EPHEMERAL_SERVERS_STATE: owner.ready.stateFile,
      },
      stdio: 'ignore',
    });
    await new Promise((resolve) => worker.once('exit', resolve));
    const [xPid] = pidsInLog(owner.files.pids, 'x');
    sandbox.track(xPid!);
    expect(await timeUntilGone([xPid!], performance.now(), 5000)).toMatchObject({ live: [] });
    await waitForAsync(
      'its entry to go',
      () =>
        Promise.resolve()
          .then(() => getEndpoint('x', { stateFile: owner.ready.stateFile, slot: 3 }))
          .then(
            () => undefined,
            (caught: unknown) => caught,
          ),
      5000,
    );
    expect(await owner.ask('teardown')).toEqual({ ok: true });
  });
});

describe('servers that leave their process group', () => {
  it('a grandchild in a session of its own is stopped with its server', async () => {
    const pidFile = join(sandbox.dir, 'pids.txt');
    const handle = await startServers(
      { e: { command: ['node', serverScript, '--port', '{port}', '--escape', '--pid-file', pidFile] } },
      { exportEnv: false },
    );
    const [escaped] = pidsInLog(pidFile, 'escaped');
    sandbox.track(escaped!);
    expect(isLive(escaped!)).toBe(true);
    await handle.stop();
    expect(isLive(escaped!)).toBe(false);
  });

  it('a server that daemonizes before it is ready fails with ServerDaemonizedError, and its daemon is stopped', async () => {
    const pidFile = join(sandbox.dir, 'pids.txt');
    const error = await startServers(
      {
        nginxish: {
          command: ['node', serverScript, '--port', '{port}', '--daemonize', '--pid-file', pidFile],
          readiness: { type: 'tcp' },
        },
      },
      { exportEnv: false },
    ).catch((caught: unknown) => caught);
    const [daemon] = pidsInLog(pidFile, 'daemon');
    sandbox.track(daemon!);
    expect(error).toBeInstanceOf(ServerDaemonizedError);
    expect(error).toMatchObject({ code: 'ES_SERVER_DAEMONIZED', server: 'nginxish', pids: [daemon] });
    expect((error as Error).message).toMatch(/foreground/);
    expect(isLive(daemon!)).toBe(false);
    expect(sandbox.runDirs()).toEqual([]);
  });
});

describe('many processes on one run', () => {
  it('24 processes × 5 in-process servers: no entry lost, every one removed at stop', async () => {
    const owner = await createOwnedRun({ exportEnv: false });
    try {
      const script = join(sandbox.dir, 'five.mjs');
      writeFileSync(
        script,
        `import { startServers } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
const config = Object.fromEntries([1, 2, 3, 4, 5].map((i) => ['s' + i, { app: () => (q, r) => r.end(String(i)), scope: 'worker' }]));
const slot = Number(process.argv[2]);
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const times = [];
const handles = [];
for (const name of Object.keys(config)) {
  const t = performance.now();
  handles.push(await startServers(config, { only: [name], slot, exportEnv: false }));
  times.push(performance.now() - t);
}
process.stdout.write(JSON.stringify({ times }) + '\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
for (const handle of handles) await handle.stop();
`,
      );
      const children = Array.from({ length: 24 }, (_, index) => {
        const child = spawn(process.execPath, [script, String(index + 1)], {
          env: { ...sandbox.env(), EPHEMERAL_SERVERS_STATE: owner.run.stateFile },
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        const lines = createInterface({ input: child.stdout });
        const ready = new Promise((resolve) => lines.once('line', resolve));
        const line = ready.then(
          () => new Promise<{ times: number[] }>((resolve) => lines.once('line', (text) => resolve(JSON.parse(text)))),
        );
        return { child, ready, line, exited: new Promise((resolve) => child.once('exit', resolve)) };
      });
      // Every process loaded first, then all start their servers at once: the run's changes contend, not Node's boot.
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.child.stdin.write('go\n');
      const times = (await Promise.all(children.map((c) => c.line))).flatMap((r) => r.times).sort((a, b) => a - b);
      const state = JSON.parse(readFileSync(owner.run.stateFile, 'utf8')) as { servers: Record<string, unknown> };
      expect(Object.keys(state.servers)).toHaveLength(120);
      for (const c of children) c.child.stdin.end('go\n');
      await Promise.all(children.map((c) => c.exited));
      expect(
        Object.keys((JSON.parse(readFileSync(owner.run.stateFile, 'utf8')) as { servers: object }).servers),
      ).toEqual([]);
      const at = (q: number): string => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
      report(
        `24 processes × 5 in-process servers on one run: start p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms (all 24 processes starting at once)`,
      );
    } finally {
      await owner.end();
    }
  });
});
