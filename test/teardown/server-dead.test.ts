import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineServers, getEndpoint, ServerDeadError, startRun, STATE_ENV, type RunOwner } from '../../src/index.js';
import { readState, readStateSync } from '../../src/state/index.js';
import { fixture, Sandbox, TSX_LOADER, waitFor } from './helpers.js';

let sandbox: Sandbox;
let owner: RunOwner | undefined;
beforeEach(async () => {
  sandbox = await Sandbox.create();
});
afterEach(async () => {
  await owner?.teardown();
  owner = undefined;
  await sandbox.cleanup();
});

describe('a server that dies mid-run', () => {
  it('is marked dead by the supervisor when it dies: getEndpoint throws ServerDeadError with its exit status and output tail; teardown does not fail', async () => {
    owner = await startRun({
      config: defineServers({ api: { command: ['node', fixture('dying-server.mjs'), '--port', '{port}'] } }),
      exportEnv: false,
      sweep: false,
    });
    const { stateFile } = owner.run;
    expect(await (await fetch(`${owner.endpoints.api!.url}/die`)).text()).toBe('dying');
    const entry = await waitFor('the entry to be marked dead', () => {
      const current = readStateSync(stateFile).servers['api@0'];
      return current?.status === 'dead' ? current : undefined;
    });
    expect(entry.exit).toEqual({ code: 7, signal: null });
    const error = await Promise.resolve()
      .then(() => getEndpoint('api', { stateFile }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerDeadError);
    expect(error).toMatchObject({
      code: 'ES_SERVER_DEAD',
      exit: { code: 7, signal: null },
      outputTail: ['ready', 'fatal: boom'],
    });
    expect(() => getEndpoint('api', { stateFile })).toThrow(
      /"api" \(slot 0\) died at .* while the tests were using it \(exit code 7\)[\s\S]*fatal: boom[\s\S]*full log: [\s\S]*What to do: /,
    );
    await owner.teardown();
  });

  it('is recorded dead with its exit status by the supervisor, also when the worker that spawned it is gone', async () => {
    // Only worker-scoped servers: the run starts none itself.
    owner = await startRun({
      config: defineServers({ lone: { command: ['node', 'unused.js'], scope: 'worker' } }),
      exportEnv: false,
      sweep: false,
    });
    const { stateFile } = owner.run;
    const worker = sandbox.spawnNode(['--import', TSX_LOADER, fixture('hand-over.ts')], {
      ...sandbox.env(),
      [STATE_ENV]: stateFile,
    });
    expect((await worker.exited).code, worker.output()).toBe(0);
    const entry = (await readState(stateFile)).servers['lone@1']!;
    expect(getEndpoint('lone', { stateFile, slot: 1 }).port).toBe(entry.endpoint.port);
    process.kill(entry.pid, 'SIGKILL');
    // The supervisor, its parent, records the exit status at once; a reader that comes first still sees
    // the dead pid (through /proc) and throws ServerDeadError without the status.
    const error = await waitFor('the exit status to be recorded', () => {
      try {
        getEndpoint('lone', { stateFile, slot: 1 });
        return undefined;
      } catch (caught) {
        return (caught as ServerDeadError).exit === undefined ? undefined : caught;
      }
    });
    expect(error).toBeInstanceOf(ServerDeadError);
    expect(error).toMatchObject({
      exit: { code: null, signal: 'SIGKILL' },
      outputTail: expect.arrayContaining(['lone ready']),
    });
    await owner.teardown();
  });
});
