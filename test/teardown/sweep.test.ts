import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepStaleRuns } from '../../src/index.js';
import { RUN_MARKER_ENV, SERVER_MARKER_ENV } from '../../src/process/marked-processes.js';
import { readProcessStartTime } from '../../src/process/process-identity.js';
import { isLive, waitUntilGone } from '../helpers/processes.js';
import { reusedStartTime } from '../process/backend.js';
import { deadProcess, commandEntry, spawnSleeper, writeRun } from './fixtures/stale-run.js';
import { Sandbox } from './helpers.js';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await Sandbox.create();
});
afterEach(async () => {
  await sandbox.cleanup();
});

describe('sweepStaleRuns', () => {
  it('leaves alone a recorded pid that now belongs to an unrelated process, and still removes the stale run', async () => {
    const owner = await deadProcess();
    const unrelated = await spawnSleeper();
    sandbox.track(unrelated.pid);
    // The recorded server had this pid once, with another start time: the pid was reused since.
    const runDir = await writeRun(
      sandbox.dir,
      owner,
      { 'api@0': commandEntry('api', { pid: unrelated.pid, startTime: reusedStartTime() }) },
      {
        pid: unrelated.pid,
        startTime: reusedStartTime(),
      },
    );
    const result = await sweepStaleRuns({ tmpDir: sandbox.dir });
    expect(result.reaped).toEqual([runDir]);
    expect(existsSync(runDir)).toBe(false);
    // A SIGTERM would have ended it within milliseconds; give it time to show.
    expect(await waitUntilGone([unrelated.pid], 300)).toEqual([unrelated.pid]);
    expect(readProcessStartTime(unrelated.pid)).toBe(unrelated.startTime);
  });

  it('stops the recorded servers of a run whose owner and supervisor are dead', async () => {
    const owner = await deadProcess();
    const supervisor = await deadProcess();
    const orphan = await spawnSleeper();
    sandbox.track(orphan.pid);
    const runDir = await writeRun(sandbox.dir, owner, { 'api@0': commandEntry('api', orphan) }, supervisor);
    const result = await sweepStaleRuns({ tmpDir: sandbox.dir });
    expect(result).toEqual({ reaped: [runDir], skipped: [] });
    expect(isLive(orphan.pid)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
  });

  it('does not touch a run whose owner lives, nor one whose owner died but whose supervisor is at work', async () => {
    const server = await spawnSleeper();
    const liveReaper = await spawnSleeper();
    sandbox.track(server.pid, liveReaper.pid);
    const me = { pid: process.pid, startTime: readProcessStartTime(process.pid)! };
    const liveRun = await writeRun(sandbox.dir, me, { 'api@0': commandEntry('api', server) });
    const reaping = await writeRun(
      sandbox.dir,
      await deadProcess(),
      { 'api@0': commandEntry('api', server) },
      liveReaper,
    );
    expect(await sweepStaleRuns({ tmpDir: sandbox.dir })).toEqual({ reaped: [], skipped: [] });
    expect(isLive(server.pid)).toBe(true);
    expect(existsSync(liveRun) && existsSync(reaping)).toBe(true);
  });

  it('skips a run directory whose state file is corrupt and that has no supervisor.json, saying why and what to do', async () => {
    const runDir = await writeRun(sandbox.dir, await deadProcess(), {});
    await writeFile(`${runDir}/state.json`, '{ not json', { mode: 0o600 });
    const result = await sweepStaleRuns({ tmpDir: sandbox.dir });
    expect(result.reaped).toEqual([]);
    expect(result.skipped).toEqual([
      { runDir, reason: expect.stringMatching(/corrupt state file and no supervisor\.json.*Check `ps`/) },
    ]);
  });

  it('reaps a dead run whose state file is corrupt through the run marker its servers carry', async () => {
    const runId = randomUUID();
    const marked = await spawnSleeper({ [RUN_MARKER_ENV]: runId, [SERVER_MARKER_ENV]: 'api@0' });
    const unmarked = await spawnSleeper({ [RUN_MARKER_ENV]: randomUUID() });
    sandbox.track(marked.pid, unmarked.pid);
    const runDir = await writeRun(sandbox.dir, await deadProcess(), {}, await deadProcess(), runId);
    await writeFile(`${runDir}/state.json`, '{ not json', { mode: 0o600 });
    const result = await sweepStaleRuns({ tmpDir: sandbox.dir });
    expect(result).toEqual({ reaped: [runDir], skipped: [] });
    expect(await waitUntilGone([marked.pid], 2000)).toEqual([]);
    expect(isLive(unmarked.pid)).toBe(true);
    expect(existsSync(runDir)).toBe(false);
  });
});
