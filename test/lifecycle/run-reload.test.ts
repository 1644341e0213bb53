/**
 * `RunOwner.reload` (what Vitest watch mode calls when servers.config changes) and `startRun`'s
 * `share` (one run per process for Vitest projects), against real command servers.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, startRun, type RunOwner, type ServersConfig } from '../../src/index.js';
import { readState } from '../../src/state/index.js';
import { isLive } from '../helpers/processes.js';

const server = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

function configWith(mark: string, extra: ServersConfig = {}): ServersConfig {
  return {
    db: { command: [process.execPath, server, '--port', '{port}', '--name', 'db'], env: { MARK: mark } },
    api: {
      command: [process.execPath, server, '--port', '{port}', '--name', 'api'],
      env: { DB: '{db.url}' },
      dependsOn: ['db'],
    },
    cache: { command: [process.execPath, server, '--port', '{port}', '--name', 'cache'] },
    ...extra,
  };
}

const owners: RunOwner[] = [];
afterEach(async () => {
  await Promise.all(owners.splice(0).map((owner) => owner.teardown()));
});

async function pids(owner: RunOwner): Promise<Record<string, number>> {
  const state = await readState(owner.run.stateFile);
  return Object.fromEntries(Object.values(state.servers).map((entry) => [`${entry.name}@${entry.slot}`, entry.pid]));
}

describe('RunOwner.reload', () => {
  it('restarts only the changed servers and those that depend on them; starts new ones, stops removed ones', async () => {
    const owner = await startRun({ config: configWith('1'), exportEnv: false, sweep: false });
    owners.push(owner);
    const before = await pids(owner);

    const result = await owner.reload({
      ...configWith('2'),
      extra: { command: [process.execPath, server, '--port', '{port}', '--name', 'extra'] },
    });
    expect(result).toEqual({ restarted: ['db', 'api'], started: ['extra'], stopped: [], workerStopped: [] });
    const after = await pids(owner);
    expect(after['cache@0']).toBe(before['cache@0']);
    expect(after['db@0']).not.toBe(before['db@0']);
    expect(after['api@0']).not.toBe(before['api@0']);
    expect(isLive(before['db@0']!)).toBe(false);
    expect(owner.endpoints.extra?.port).toBeGreaterThan(0);
    expect(owner.endpoints.db?.port).toBe((await readState(owner.run.stateFile)).servers['db@0']?.endpoint.port);

    const removed = await owner.reload(configWith('2'));
    expect(removed).toEqual({ restarted: [], started: [], stopped: ['extra'], workerStopped: [] });
    expect(owner.endpoints.extra).toBeUndefined();
    expect(isLive(after['extra@0']!)).toBe(false);
  });

  it('changes nothing when the new config is invalid', async () => {
    const owner = await startRun({ config: configWith('1'), exportEnv: false, sweep: false });
    owners.push(owner);
    const before = await pids(owner);
    await expect(owner.reload({ ...configWith('1'), db: { command: [] } })).rejects.toBeInstanceOf(ConfigError);
    expect(await pids(owner)).toEqual(before);
    for (const pid of Object.values(before)) expect(isLive(pid)).toBe(true);
  });
});

describe('startRun with share', () => {
  it('joins the run of an earlier shared start of this process; the last teardown ends it', async () => {
    const first = await startRun({ config: configWith('1'), sweep: false, share: true });
    owners.push(first);
    const second = await startRun({
      config: configWith('1', { more: { command: [process.execPath, server, '--port', '{port}', '--name', 'more'] } }),
      sweep: false,
      share: true,
    });
    owners.push(second);
    expect(second.origin).toBe('process');
    expect(second.run.stateFile).toBe(first.run.stateFile);
    expect(second.endpoints.db).toEqual(first.endpoints.db);
    const started = await pids(first);
    expect(Object.keys(started).sort()).toEqual(['api@0', 'cache@0', 'db@0', 'more@0']);

    await expect(startRun({ config: configWith('other'), sweep: false, share: true })).rejects.toThrow(
      /server "db".*`env` differ/s,
    );

    await first.teardown();
    for (const pid of Object.values(started)) expect(isLive(pid)).toBe(true);
    await second.teardown();
    expect(Object.values(started).filter(isLive)).toEqual([]);
  });
});
