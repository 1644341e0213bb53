import { spawn } from 'node:child_process';
import { chown, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServerDeadError, ServerNotFoundError, StateChangeError, StateFileError } from '../../src/errors.js';
import { createOwnedRun, type OwnedRun } from '../../src/run/owned-run.js';
import { runPaths } from '../../src/run/run-dir.js';
import { SupervisorClient } from '../../src/run/supervisor-client.js';
import {
  STATE_ENV,
  STATE_VERSION,
  getEndpoint,
  listEntries,
  readState,
  readStateSync,
  stateKey,
  writeFileAtomicSync,
  type StateEntry,
  type StateFile,
} from '../../src/state/index.js';
import { makeInProcessEntry, makeStateEntry } from '../fixtures/state-entry.js';
import { useTempDirs } from './temp-dir.js';

const makeTempDir = useTempDirs();

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A state file holding `entries`, written the way the supervisor writes it (readers are what is tested). */
async function newStateFile(...entries: StateEntry[]): Promise<string> {
  const runDir = await makeTempDir();
  const file = join(runDir, 'state.json');
  const state: StateFile = {
    version: STATE_VERSION,
    runId: 'run-1',
    owner: { pid: process.pid, startTime: '12345' },
    createdAt: new Date().toISOString(),
    runDir,
    servers: Object.fromEntries(entries.map((entry) => [stateKey(entry.name, entry.slot), entry])),
  };
  writeFileAtomicSync(file, JSON.stringify(state));
  return file;
}

/** Both readers must agree on every outcome. */
async function readBoth(file?: string): Promise<StateFile> {
  const sync = readStateSync(file);
  expect(await readState(file)).toEqual(sync);
  return sync;
}

async function expectStateError(file: string | undefined, problem: StateFileError['problem']): Promise<StateFileError> {
  const asyncError = await readState(file).catch((error: unknown) => error);
  let syncError: unknown;
  try {
    readStateSync(file);
  } catch (error) {
    syncError = error;
  }
  for (const error of [asyncError, syncError]) {
    expect(error).toBeInstanceOf(StateFileError);
    expect(error).toMatchObject({ name: 'StateFileError', problem, code: `ES_STATE_${problem.toUpperCase()}` });
  }
  return asyncError as StateFileError;
}

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('readState, readStateSync, listEntries', () => {
  it('read back what was written, entries listed by name, then slot', async () => {
    const api = makeStateEntry('api', 0, 41_000);
    const api3 = makeStateEntry('api', 3, 41_003);
    const db = makeStateEntry('db', 2, 41_001);
    const file = await newStateFile(db, api3, api);
    const state = await readBoth(file);
    expect(state).toMatchObject({
      version: STATE_VERSION,
      runId: 'run-1',
      owner: { pid: process.pid, startTime: '12345' },
    });
    expect(new Date(state.createdAt).toISOString()).toBe(state.createdAt);
    expect(state.servers).toEqual({ 'api@0': api, 'api@3': api3, 'db@2': db });
    expect(listEntries(state).map((entry) => stateKey(entry.name, entry.slot))).toEqual(['api@0', 'api@3', 'db@2']);
  });

  it('read the path from EPHEMERAL_SERVERS_STATE by default', async () => {
    const file = await newStateFile();
    vi.stubEnv(STATE_ENV, file);
    expect((await readBoth()).runId).toBe('run-1');
  });
});

describe('readState errors', () => {
  it("'missing' when no path is given and EPHEMERAL_SERVERS_STATE is unset, saying what to do", async () => {
    vi.stubEnv(STATE_ENV, '');
    const error = await expectStateError(undefined, 'missing');
    expect(error.message).toMatch(/EPHEMERAL_SERVERS_STATE is not set/);
    expect(error.message).toMatch(/globalSetup/);
    expect(error.path).toBeUndefined();
  });

  it("'missing' when the file does not exist, naming it", async () => {
    const file = join(await makeTempDir(), 'state.json');
    const error = await expectStateError(file, 'missing');
    expect(error.path).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/set EPHEMERAL_SERVERS_STATE/);
  });

  it("'corrupt' on invalid JSON, naming the file and the way out", async () => {
    const file = await newStateFile();
    await writeFile(file, '{"version": 1, "runId": ');
    const error = await expectStateError(file, 'corrupt');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.message).toMatch(/ephemeral-servers prune/);
    expect(error.message).toContain(join(file, '..'));
  });

  it("'corrupt' on a schema mismatch, naming the paths of the issues", async () => {
    const file = await newStateFile();
    const state = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(
      file,
      JSON.stringify({
        ...state,
        runId: 7,
        servers: { 'api@0': { ...makeStateEntry('api'), pid: 'x', surprise: true } },
      }),
    );
    const error = await expectStateError(file, 'corrupt');
    expect(error.message).toMatch(/does not match the schema/);
    expect(error.message).toContain('runId');
    expect(error.message).toContain('servers["api@0"].pid');
    expect(error.message).toContain('surprise');
  });

  it("'version' (not 'corrupt') for a file from a newer ephemeral-servers, even if its shape changed", async () => {
    const file = await newStateFile();
    await writeFile(file, JSON.stringify({ version: STATE_VERSION + 1, whatever: 'new shape' }));
    const error = await expectStateError(file, 'version');
    expect(error.message).toMatch(/written by a newer ephemeral-servers/);
    expect(error.message).toMatch(/[Uu]pgrade/);
  });

  it("'foreign' for a file that belongs to another user, before parsing it", async () => {
    let file: string;
    if (process.getuid?.() === 0) {
      // As root: a valid state file handed to nobody (65534).
      file = await newStateFile();
      await chown(file, 65_534, 65_534);
    } else {
      // Not root, so chown is impossible: any file owned by someone else will do, e.g. root's.
      file = '/etc/passwd';
    }
    const error = await expectStateError(file, 'foreign');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/belongs to another user \(uid \d+/);
  });
});

describe('getEndpoint', () => {
  /** The error `lookUp` throws (the lookup is synchronous). */
  function thrownBy(lookUp: () => unknown): unknown {
    try {
      lookUp();
    } catch (error) {
      return error;
    }
    throw new Error('the lookup did not throw');
  }

  it('finds an explicit slot', async () => {
    const stateFile = await newStateFile(makeStateEntry('api', 0, 41_000), makeStateEntry('db', 2, 41_002));
    expect(getEndpoint('db', { stateFile, slot: 2 })).toEqual({
      name: 'db',
      slot: 2,
      host: '127.0.0.1',
      port: 41_002,
      url: 'http://127.0.0.1:41002',
    });
  });

  it('prefers the run-scoped instance, else the current worker slot', async () => {
    const stateFile = await newStateFile(
      makeStateEntry('api', 0, 41_000),
      makeStateEntry('api', 3, 41_003),
      makeStateEntry('db', 3, 41_013),
    );
    vi.stubEnv('VITEST_POOL_ID', '3');
    expect(getEndpoint('api', { stateFile })).toMatchObject({ slot: 0, port: 41_000 });
    expect(getEndpoint('db', { stateFile })).toMatchObject({ slot: 3, port: 41_013 });
  });

  it('uses EPHEMERAL_SERVERS_STATE by default', async () => {
    vi.stubEnv(STATE_ENV, await newStateFile(makeStateEntry('api', 0, 41_000)));
    expect(getEndpoint('api', {})).toMatchObject({ port: 41_000 });
  });

  it('throws ServerNotFoundError listing the known instances', async () => {
    const stateFile = await newStateFile(makeStateEntry('api', 0), makeStateEntry('db', 1));
    vi.stubEnv('VITEST_POOL_ID', '2');
    for (const [name, slot] of [
      ['web', undefined],
      ['db', undefined],
      ['api', 4],
    ] as const) {
      const error = thrownBy(() => getEndpoint(name, { stateFile, slot }));
      expect(error).toBeInstanceOf(ServerNotFoundError);
      expect(error).toMatchObject({ code: 'ES_SERVER_NOT_FOUND', server: name });
      expect((error as Error).message).toMatch(/Known: api@0, db@1/);
    }
  });

  it('throws ServerDeadError with the exit status of a dead entry', async () => {
    const stateFile = await newStateFile({
      ...makeStateEntry('api'),
      status: 'dead',
      exit: { code: null, signal: 'SIGKILL' },
    });
    const error = thrownBy(() => getEndpoint('api', { stateFile }));
    expect(error).toBeInstanceOf(ServerDeadError);
    expect(error).toMatchObject({ code: 'ES_SERVER_DEAD', exit: { code: null, signal: 'SIGKILL' }, outputTail: [] });
    expect(() => getEndpoint('api', { stateFile })).toThrow(/died while the tests were using it \(signal SIGKILL\)/);
  });

  it('rejects an invalid slot', async () => {
    const stateFile = await newStateFile(makeStateEntry('api'));
    expect(() => getEndpoint('api', { stateFile, slot: -1 })).toThrow(RangeError);
  });

  it('passes state file errors through', async () => {
    const stateFile = join(await makeTempDir(), 'state.json');
    expect(thrownBy(() => getEndpoint('api', { stateFile }))).toMatchObject({ problem: 'missing' });
  });
});

describe('the supervisor, the one writer of the state file', () => {
  let owned: OwnedRun | undefined;
  afterEach(async () => {
    await owned?.end();
    owned = undefined;
  });

  async function startRun(): Promise<OwnedRun> {
    owned = await createOwnedRun({ exportEnv: false });
    return owned;
  }

  /** Reads the state file until it is valid again, for at most `timeoutMs`. */
  async function waitForValidState(file: string, timeoutMs: number): Promise<{ state: StateFile; waitedMs: number }> {
    const started = performance.now();
    for (;;) {
      try {
        return { state: readStateSync(file), waitedMs: Math.round(performance.now() - started) };
      } catch (error) {
        if (!(error instanceof StateFileError) || performance.now() - started > timeoutMs) throw error;
      }
      await sleep(10);
    }
  }

  it('writes the state file of a new run before it is ready, with mode 0600 even under umask 0', async () => {
    const previous = process.umask(0);
    let run: OwnedRun;
    try {
      run = await startRun();
    } finally {
      process.umask(previous);
    }
    const { stateFile, runDir, runId } = run.run;
    expect(await readBoth(stateFile)).toMatchObject({
      version: STATE_VERSION,
      runId,
      runDir,
      owner: { pid: process.pid },
      servers: {},
    });
    expect(await modeOf(stateFile)).toBe(0o600);
    await run.client.request('record', { key: 'api@0', entry: makeStateEntry('api') });
    expect(await modeOf(stateFile)).toBe(0o600);
  });

  it('makes a record visible to readers as soon as its request resolves', async () => {
    const { run, client } = await startRun();
    const api = makeStateEntry('api', 0, 41_000);
    const db = makeStateEntry('db', 2, 41_002);
    await client.request('record', { key: 'api@0', entry: api });
    expect(readStateSync(run.stateFile).servers).toEqual({ 'api@0': api });
    await client.request('record', { key: 'db@2', entry: db });
    const state = await readBoth(run.stateFile);
    expect(state.servers).toEqual({ 'api@0': api, 'db@2': db });
    expect(getEndpoint('db', { stateFile: run.stateFile, slot: 2 })).toEqual(db.endpoint);
    expect(await client.request('state', {})).toEqual(state);
  });

  it('rejects a change that breaks the schema with StateChangeError naming the field, and changes nothing', async () => {
    const { run, client } = await startRun();
    const api = makeStateEntry('api', 0, 41_000);
    await client.request('record', { key: 'api@0', entry: api });
    const before = { text: await readFile(run.stateFile, 'utf8'), ino: (await stat(run.stateFile)).ino };

    const badPort = { ...api, endpoint: { ...api.endpoint, port: 70_000 } };
    for (const key of ['api@0', 'web@0']) {
      const error = await client.request('record', { key, entry: badPort }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StateChangeError);
      expect(error).toMatchObject({ name: 'StateChangeError', code: 'ES_STATE_CHANGE_REJECTED', op: 'record' });
      expect((error as Error).message).toMatch(/refused `record`.*endpoint\.port/);
    }
    const badStatus = await client
      .request('patch', { key: 'api@0', pid: process.pid, changes: { status: 'zombie' as StateEntry['status'] } })
      .catch((caught: unknown) => caught);
    expect(badStatus).toMatchObject({ name: 'StateChangeError', code: 'ES_STATE_CHANGE_REJECTED', op: 'patch' });
    expect((badStatus as Error).message).toMatch(/status/);

    expect({ text: await readFile(run.stateFile, 'utf8'), ino: (await stat(run.stateFile)).ino }).toEqual(before);
    expect((await client.request('state', {})).servers).toEqual({ 'api@0': api });
    // The supervisor goes on taking changes.
    await client.request('record', { key: 'web@0', entry: makeStateEntry('web') });
    expect(Object.keys(readStateSync(run.stateFile).servers)).toEqual(['api@0', 'web@0']);
  });

  it('removes or patches an entry only while it is the one of that pid (and port)', async () => {
    const { run, client } = await startRun();
    const api = makeStateEntry('api', 0, 41_000);
    await client.request('record', { key: 'api@0', entry: api });
    const otherPid = process.pid + 1;

    expect(await client.request('remove', { key: 'api@0', pid: otherPid })).toEqual({ removed: false });
    expect(await client.request('remove', { key: 'api@0', pid: process.pid, port: 41_001 })).toEqual({
      removed: false,
    });
    expect(await client.request('patch', { key: 'api@0', pid: otherPid, changes: { status: 'dead' } })).toEqual({
      applied: false,
    });
    expect(readStateSync(run.stateFile).servers).toEqual({ 'api@0': api });

    expect(await client.request('patch', { key: 'api@0', pid: process.pid, changes: { status: 'starting' } })).toEqual({
      applied: true,
    });
    expect(readStateSync(run.stateFile).servers['api@0']).toEqual({ ...api, status: 'starting' });
    expect(await client.request('remove', { key: 'api@0', pid: process.pid, port: 41_000 })).toEqual({ removed: true });
    expect(readStateSync(run.stateFile).servers).toEqual({});
    expect(await client.request('remove', { key: 'api@0', pid: process.pid })).toEqual({ removed: false });
  });

  it('patches only the status and the endpoint, whatever else a patch carries', async () => {
    const { run, client } = await startRun();
    const api = makeStateEntry('api', 0, 41_000);
    await client.request('record', { key: 'api@0', entry: api });
    const changes = { status: 'starting', pid: 4242, kind: 'in-process' } as unknown as { status: 'starting' };
    expect(await client.request('patch', { key: 'api@0', pid: process.pid, changes })).toEqual({ applied: true });
    expect(readStateSync(run.stateFile).servers['api@0']).toEqual({ ...api, status: 'starting' });
  });

  it("keeps a worker's entry its own after a remove that did not match: the entry still goes when the worker's connection closes", async () => {
    const { run } = await startRun();
    const script = `
      import { supervisorFor } from ${JSON.stringify(new URL('../../src/run/supervisor-client.ts', import.meta.url).href)};
      const client = supervisorFor(process.argv[1]);
      const entry = { ...JSON.parse(process.argv[2]), pid: process.pid, owner: { kind: 'worker', pid: process.pid } };
      await client.request('record', { key: 'w@1', entry });
      await client.request('remove', { key: 'w@1', pid: process.pid + 1 });
      process.exit(0);
    `;
    const entry = makeInProcessEntry('w', 1);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, run.stateFile, JSON.stringify(entry)],
      { stdio: 'inherit' },
    );
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
    const deadline = performance.now() + 5000;
    while (Object.keys(readStateSync(run.stateFile).servers).length > 0 && performance.now() < deadline)
      await sleep(10);
    expect(readStateSync(run.stateFile).servers).toEqual({});
  });

  it('lands every one of 200 requests in flight at once from one process', async () => {
    const { run, client } = await startRun();
    const keys = Array.from({ length: 200 }, (_, index) => stateKey(`s${index}`, 1));
    const started = performance.now();
    await Promise.all(
      keys.map((key, index) =>
        client.request('record', { key, entry: makeStateEntry(`s${index}`, 1, 41_000 + index) }),
      ),
    );
    console.log(`[state] 200 records in flight from one process: ${Math.round(performance.now() - started)} ms`);
    const state = await readBoth(run.stateFile);
    expect(Object.keys(state.servers).sort()).toEqual([...keys].sort());
    expect(state.servers['s199@1']?.endpoint.port).toBe(41_199);
    expect(await client.request('state', {})).toEqual(state);
  });

  it('rewrites a state file replaced or deleted behind its back from memory, and still takes new connections', async () => {
    const { run, client } = await startRun();
    await client.request('record', { key: 'api@0', entry: makeStateEntry('api') });
    const expected = await client.request('state', {});

    await writeFile(`${run.stateFile}.garbage`, 'garbage');
    await rename(`${run.stateFile}.garbage`, run.stateFile);
    const replaced = await waitForValidState(run.stateFile, 5_000);
    expect(replaced.state).toEqual(expected);
    expect(await modeOf(run.stateFile)).toBe(0o600);

    await rm(run.stateFile);
    const deleted = await waitForValidState(run.stateFile, 5_000);
    expect(deleted.state).toEqual(expected);
    console.log(
      `[state] state file rewritten by the supervisor ${replaced.waitedMs} ms after being replaced, ${deleted.waitedMs} ms after being deleted`,
    );

    // It listens again after a restore: a process connecting now (its own client) is served.
    const newcomer = new SupervisorClient(runPaths(run.runDir));
    await newcomer.request('record', { key: 'web@0', entry: makeStateEntry('web') });
    expect(Object.keys(readStateSync(run.stateFile).servers)).toEqual(['api@0', 'web@0']);
  });

  // Known bug (reported): `guardStateFile` (src/run/supervisor.ts) only compares the inode, so a file
  // overwritten in place (`> state.json`, an editor writing in place) stays corrupt until the next change.
  it('rewrites a state file overwritten in place with garbage within about a second', async () => {
    const { run, client } = await startRun();
    await client.request('record', { key: 'api@0', entry: makeStateEntry('api') });
    await writeFile(run.stateFile, 'garbage');
    const { state } = await waitForValidState(run.stateFile, 2_000);
    expect(state.servers).toHaveProperty('api@0');
  });

  it('rewrites a corrupt state file whole on the next change', async () => {
    const { run, client } = await startRun();
    const api = makeStateEntry('api', 0, 41_000);
    await client.request('record', { key: 'api@0', entry: api });
    await writeFile(run.stateFile, '{"version": 2, "runId": ');
    await expectStateError(run.stateFile, 'corrupt');

    const db = makeStateEntry('db', 1, 41_001);
    await client.request('record', { key: 'db@1', entry: db });
    expect((await readBoth(run.stateFile)).servers).toEqual({ 'api@0': api, 'db@1': db });
  });
});
