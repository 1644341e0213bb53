import { chown, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineServers, startRun, StateFileError, type RunOwner } from '../../src/index.js';
import { readState } from '../../src/state/index.js';
import { fixture } from './helpers.js';

let owner: RunOwner | undefined;
afterEach(async () => {
  await owner?.teardown();
  owner = undefined;
});

const mode = async (path: string): Promise<string> => ((await stat(path)).mode & 0o777).toString(8);

describe('security', () => {
  it('run directory 0700, its files 0600, servers on 127.0.0.1, a state file of another user refused', async () => {
    owner = await startRun({
      config: defineServers({ api: { command: ['node', fixture('dying-server.mjs'), '--port', '{port}'] } }),
      exportEnv: false,
      sweep: false,
    });
    const { runDir, stateFile, logDir } = owner.run;
    expect(await mode(runDir)).toBe('700');
    expect(await mode(logDir)).toBe('700');
    for (const file of [
      stateFile,
      join(runDir, 'supervisor.json'),
      join(runDir, 'supervisor.log'),
      join(logDir, 'api@0.log'),
    ]) {
      expect([file, await mode(file)]).toEqual([file, '600']);
    }
    expect(owner.endpoints.api!.host).toBe('127.0.0.1');
    if (process.getuid?.() !== 0) return; // only root can hand a file to another user
    await chown(stateFile, 65534, 65534);
    await expect(readState(stateFile)).rejects.toSatisfy(
      (error) => error instanceof StateFileError && error.problem === 'foreign',
    );
    await chown(stateFile, 0, 0);
  });
});
