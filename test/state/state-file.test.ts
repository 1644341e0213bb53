import { chown, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ServerDeadError, ServerNotFoundError, StateFileError } from '../../src/errors.js';
import {
  STATE_ENV,
  STATE_VERSION,
  createStateFile,
  getEndpoint,
  getEndpointSync,
  listEntries,
  readState,
  readStateSync,
  stateKey,
  updateState,
  type StateFile,
} from '../../src/state/index.js';
import { makeStateEntry } from '../fixtures/state-entry.js';
import { useTempDirs } from './temp-dir.js';

const makeTempDir = useTempDirs();

afterEach(() => {
  vi.unstubAllEnvs();
});

async function newStateFile(): Promise<string> {
  const runDir = await makeTempDir();
  const file = join(runDir, 'state.json');
  await createStateFile(file, { runId: 'run-1', owner: { pid: process.pid, startTime: '12345' }, runDir });
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

describe('createStateFile, updateState, readState', () => {
  it('round-trips: create, add entries, read them back', async () => {
    const file = await newStateFile();
    const created = await readBoth(file);
    expect(created).toMatchObject({ version: STATE_VERSION, runId: 'run-1', owner: { pid: process.pid, startTime: '12345' }, servers: {} });
    expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);

    const api = makeStateEntry('api', 0, 41_000);
    const db = makeStateEntry('db', 2, 41_001);
    const written = await updateState(file, (state) => {
      state.servers[stateKey('api', 0)] = api;
      state.servers[stateKey('db', 2)] = db;
    });
    expect(written.servers).toEqual({ 'api@0': api, 'db@2': db });
    expect(await readBoth(file)).toEqual(written);
    expect(listEntries(written).map((entry) => stateKey(entry.name, entry.slot))).toEqual(['api@0', 'db@2']);
  });

  it('writes the file with mode 0600', async () => {
    const file = await newStateFile();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await updateState(file, (state) => {
      state.servers['api@0'] = makeStateEntry('api');
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('reads the path from EPHEMERAL_SERVERS_STATE by default', async () => {
    const file = await newStateFile();
    vi.stubEnv(STATE_ENV, file);
    expect((await readBoth()).runId).toBe('run-1');
  });

  it('refuses to create over an existing file', async () => {
    const file = await newStateFile();
    await expect(createStateFile(file, { runId: 'run-2', owner: { pid: process.pid }, runDir: join(file, '..') })).rejects.toMatchObject({
      code: 'EEXIST',
    });
    expect((await readState(file)).runId).toBe('run-1');
  });

  it('rejects an invalid init with a TypeError naming the field', async () => {
    const runDir = await makeTempDir();
    await expect(createStateFile(join(runDir, 'state.json'), { runId: '', owner: { pid: 0 }, runDir })).rejects.toThrow(
      /invalid `init`: runId: .*owner\.pid/,
    );
  });
});

describe('updateState', () => {
  it('rejects a mutation that breaks the schema and writes nothing', async () => {
    const file = await newStateFile();
    const before = await readFile(file, 'utf8');
    const error = await updateState(file, (state) => {
      state.servers['api@0'] = { ...makeStateEntry('api'), endpoint: { name: 'api', slot: 0, host: 'h', port: 70_000, url: 'u' } };
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).toMatch(/servers\["api@0"\]\.endpoint\.port/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it("propagates a mutation's error to its own call only, even when it shares a lock cycle", async () => {
    const file = await newStateFile();
    const boom = new Error('boom');
    let calls = 0;
    const results = await Promise.allSettled([
      updateState(file, (state) => {
        calls += 1;
        state.servers['a@0'] = makeStateEntry('a');
      }),
      updateState(file, (state) => {
        state.servers['b@0'] = makeStateEntry('b');
        throw boom;
      }),
      updateState(file, async (state) => {
        await Promise.resolve();
        state.servers['c@0'] = makeStateEntry('c');
      }),
      updateState(file, (state) => {
        state.servers['d@0'] = { ...makeStateEntry('d'), status: 'zombie' as 'dead' };
      }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect(results[1]).toMatchObject({ reason: boom });
    expect(results[3]).toMatchObject({ reason: expect.any(TypeError) });
    expect(Object.keys((await readState(file)).servers).sort()).toEqual(['a@0', 'c@0']);
    // Applied together first, then again one by one after the failure.
    expect(calls).toBe(2);
  });

  it('returns the written state, frozen', async () => {
    const file = await newStateFile();
    const written = await updateState(file, (state) => {
      state.servers['a@0'] = makeStateEntry('a');
    });
    expect(Object.isFrozen(written.servers['a@0']?.endpoint)).toBe(true);
    expect(() => {
      written.servers = {};
    }).toThrow(TypeError);
  });

  it('does not rewrite the file when nothing changed', async () => {
    const file = await newStateFile();
    const before = await stat(file);
    await updateState(file, () => {});
    expect((await stat(file)).ino).toBe(before.ino);
  });

  it('fails like readState on a missing or corrupt file', async () => {
    const dir = await makeTempDir();
    await expect(updateState(join(dir, 'state.json'), () => {})).rejects.toMatchObject({ problem: 'missing' });
    await writeFile(join(dir, 'state.json'), '{"version": 1', { mode: 0o600 });
    await expect(updateState(join(dir, 'state.json'), () => {})).rejects.toMatchObject({ problem: 'corrupt' });
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
      JSON.stringify({ ...state, runId: 7, servers: { 'api@0': { ...makeStateEntry('api'), pid: 'x', surprise: true } } }),
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
    if (process.getuid?.() === 0) await expect(updateState(file, () => {})).rejects.toMatchObject({ problem: 'foreign' });
  });
});

describe('getEndpoint', () => {
  async function stateWith(...entries: ReturnType<typeof makeStateEntry>[]): Promise<string> {
    const file = await newStateFile();
    await updateState(file, (state) => {
      for (const entry of entries) state.servers[stateKey(entry.name, entry.slot)] = entry;
    });
    return file;
  }

  async function getBoth(name: string, options: Parameters<typeof getEndpoint>[1]): Promise<unknown> {
    const sync = getEndpointSync(name, options);
    expect(await getEndpoint(name, options)).toEqual(sync);
    return sync;
  }

  it('finds an explicit slot', async () => {
    const stateFile = await stateWith(makeStateEntry('api', 0, 41_000), makeStateEntry('db', 2, 41_002));
    expect(await getBoth('db', { stateFile, slot: 2 })).toEqual({
      name: 'db',
      slot: 2,
      host: '127.0.0.1',
      port: 41_002,
      url: 'http://127.0.0.1:41002',
    });
  });

  it('prefers the run-scoped instance, else the current worker slot', async () => {
    const stateFile = await stateWith(makeStateEntry('api', 0, 41_000), makeStateEntry('api', 3, 41_003), makeStateEntry('db', 3, 41_013));
    vi.stubEnv('VITEST_POOL_ID', '3');
    expect(await getBoth('api', { stateFile })).toMatchObject({ slot: 0, port: 41_000 });
    expect(await getBoth('db', { stateFile })).toMatchObject({ slot: 3, port: 41_013 });
  });

  it('uses EPHEMERAL_SERVERS_STATE by default', async () => {
    vi.stubEnv(STATE_ENV, await stateWith(makeStateEntry('api', 0, 41_000)));
    expect(await getBoth('api', {})).toMatchObject({ port: 41_000 });
  });

  it('throws ServerNotFoundError listing the known instances', async () => {
    const stateFile = await stateWith(makeStateEntry('api', 0), makeStateEntry('db', 1));
    vi.stubEnv('VITEST_POOL_ID', '2');
    for (const [name, slot] of [['web', undefined], ['db', undefined], ['api', 4]] as const) {
      const error = await getEndpoint(name, { stateFile, slot }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ServerNotFoundError);
      expect(error).toMatchObject({ code: 'ES_SERVER_NOT_FOUND', server: name });
      expect((error as Error).message).toMatch(/Known: api@0, db@1/);
      expect(() => getEndpointSync(name, { stateFile, slot })).toThrow(ServerNotFoundError);
    }
  });

  it('throws ServerDeadError with the exit status of a dead entry', async () => {
    const stateFile = await stateWith({ ...makeStateEntry('api'), status: 'dead', exit: { code: null, signal: 'SIGKILL' } });
    const error = await getEndpoint('api', { stateFile }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerDeadError);
    expect(error).toMatchObject({ code: 'ES_SERVER_DEAD', exit: { code: null, signal: 'SIGKILL' }, outputTail: [] });
    expect(() => getEndpointSync('api', { stateFile })).toThrow(/died while the run was going on \(signal SIGKILL\)/);
  });

  it('rejects an invalid slot', async () => {
    const stateFile = await stateWith(makeStateEntry('api'));
    await expect(getEndpoint('api', { stateFile, slot: -1 })).rejects.toThrow(RangeError);
  });

  it('passes state file errors through', async () => {
    await expect(getEndpoint('api', { stateFile: join(await makeTempDir(), 'state.json') })).rejects.toMatchObject({ problem: 'missing' });
  });
});
