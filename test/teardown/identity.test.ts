/**
 * Never signal without identity, on every path that stops a process it is not the parent of: the
 * stale-run sweep (and `prune`, which is the sweep), `stopRecordedServers` through the supervisor, and
 * the supervisor's adoption. An entry whose pid now belongs to an unrelated live process is never
 * signalled; one whose identity cannot be established is not either, and the result says which and
 * why. CI runs this file with each platform backend.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StopError, sweepStaleRuns } from '../../src/index.js';
import { stopRecordedServers } from '../../src/run/owned-run.js';
import { RUN_MARKER_ENV, SERVER_MARKER_ENV } from '../../src/process/marked-processes.js';
import { readProcessStartTime } from '../../src/process/process-identity.js';
import { createOwnedRun, type OwnedRun } from '../../src/run/owned-run.js';
import { readStateSync } from '../../src/state/index.js';
import { isLive, waitUntilGone } from '../helpers/processes.js';
import { backendKind, otherBackendStartTime, reusedStartTime } from '../process/backend.js';
import { commandEntry, deadProcess, spawnSleeper, writeRun } from './fixtures/stale-run.js';
import { Sandbox } from './helpers.js';

let sandbox: Sandbox;
let owned: OwnedRun | undefined;
beforeEach(async () => {
  sandbox = await Sandbox.create();
});
afterEach(async () => {
  await owned?.end();
  owned = undefined;
  await sandbox.cleanup();
});

/** A SIGTERM ends a sleeping node within milliseconds: still running after this long, it was not signalled. */
const NOT_SIGNALLED_MS = 300;

describe(`never signal without identity (${backendKind} backend)`, () => {
  it('sweep: an entry whose identity cannot be established is left running, its run kept, and the reason given', async () => {
    const unrelated = await spawnSleeper();
    const noStartTime = await spawnSleeper();
    sandbox.track(unrelated.pid, noStartTime.pid);
    const { startTime: _dropped, ...withoutStartTime } = commandEntry('web', noStartTime);
    const runDir = await writeRun(
      sandbox.dir,
      await deadProcess(),
      {
        'api@0': commandEntry('api', { pid: unrelated.pid, startTime: otherBackendStartTime() }),
        'web@0': withoutStartTime,
      },
      await deadProcess(),
    );
    const result = await sweepStaleRuns({ tmpDir: sandbox.dir });
    expect(result.reaped).toEqual([]);
    expect(result.skipped).toEqual([{ runDir, reason: expect.stringContaining('left 2 server(s) running') }]);
    const { reason } = result.skipped[0]!;
    expect(reason).toContain(`api@0: pid ${unrelated.pid} is running but cannot be proven to be this server`);
    expect(reason).toMatch(/recorded by the (procfs|posix) backend/);
    expect(reason).toContain(
      `web@0: pid ${noStartTime.pid} is running but cannot be proven to be this server (no start time was recorded for it)`,
    );
    expect(await waitUntilGone([unrelated.pid, noStartTime.pid], NOT_SIGNALLED_MS)).toEqual([
      unrelated.pid,
      noStartTime.pid,
    ]);
    expect(existsSync(runDir)).toBe(true);
  });

  it('sweep: a process without a comparable start time that carries the run marker is the server, and is stopped', async () => {
    const runId = randomUUID();
    const server = await spawnSleeper({ [RUN_MARKER_ENV]: runId, [SERVER_MARKER_ENV]: 'api@0' });
    sandbox.track(server.pid);
    const runDir = await writeRun(
      sandbox.dir,
      await deadProcess(),
      { 'api@0': commandEntry('api', { pid: server.pid, startTime: otherBackendStartTime() }) },
      await deadProcess(),
      runId,
    );
    expect(await sweepStaleRuns({ tmpDir: sandbox.dir })).toEqual({ reaped: [runDir], skipped: [] });
    expect(await waitUntilGone([server.pid], 2000)).toEqual([]);
  });

  it('sweep: a stale run whose owner pid was reused by an unrelated process is swept, the unrelated process untouched', async () => {
    const reusedOwner = await spawnSleeper();
    const orphan = await spawnSleeper();
    sandbox.track(reusedOwner.pid, orphan.pid);
    const runDir = await writeRun(
      sandbox.dir,
      { pid: reusedOwner.pid, startTime: reusedStartTime() },
      { 'api@0': commandEntry('api', orphan) },
      {
        pid: reusedOwner.pid,
        startTime: reusedStartTime(),
      },
    );
    expect(await sweepStaleRuns({ tmpDir: sandbox.dir })).toEqual({ reaped: [runDir], skipped: [] });
    expect(await waitUntilGone([orphan.pid], 2000)).toEqual([]);
    expect(isLive(reusedOwner.pid)).toBe(true);
    expect(readProcessStartTime(reusedOwner.pid)).toBe(reusedOwner.startTime);
  });

  it('sweep: a run whose owner pid runs with a start time of the other backend may be live: left alone, with the reason', async () => {
    const maybeOwner = await spawnSleeper();
    const server = await spawnSleeper();
    sandbox.track(maybeOwner.pid, server.pid);
    const runDir = await writeRun(
      sandbox.dir,
      { pid: maybeOwner.pid, startTime: otherBackendStartTime() },
      { 'api@0': commandEntry('api', server) },
    );
    const result = await sweepStaleRuns({ tmpDir: sandbox.dir });
    expect(result).toEqual({
      reaped: [],
      skipped: [
        { runDir, reason: expect.stringContaining(`its owner pid ${maybeOwner.pid} runs and may still be the owner`) },
      ],
    });
    expect(await waitUntilGone([server.pid], NOT_SIGNALLED_MS)).toEqual([server.pid]);
    expect(existsSync(runDir)).toBe(true);
  });

  it('stopRecordedServers: a reused pid is not signalled (already gone); an unverified one is not either, and StopError names it', async () => {
    owned = await createOwnedRun({ exportEnv: false });
    const unrelated = await spawnSleeper();
    sandbox.track(unrelated.pid);
    await owned.client.request('record', {
      key: 'reused@0',
      entry: commandEntry('reused', { pid: unrelated.pid, startTime: reusedStartTime() }),
    });
    expect(await stopRecordedServers(owned.run.stateFile)).toEqual({ stopped: [], alreadyGone: ['reused@0'] });
    await owned.client.request('record', {
      key: 'unsure@0',
      entry: commandEntry('unsure', { pid: unrelated.pid, startTime: otherBackendStartTime() }),
    });
    const error = await stopRecordedServers(owned.run.stateFile).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StopError);
    expect((error as StopError).message).toContain(
      `unsure@0: pid ${unrelated.pid} is running but cannot be proven to be this server`,
    );
    // Its entry stays: nothing says it is gone.
    expect(Object.keys(readStateSync(owned.run.stateFile).servers)).toEqual(['unsure@0']);
    expect(await waitUntilGone([unrelated.pid], NOT_SIGNALLED_MS)).toEqual([unrelated.pid]);
  });
});
