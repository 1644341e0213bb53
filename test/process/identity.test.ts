/**
 * Identity through the facade (`process-identity.ts`, `stop-process-group.ts`) with this process's
 * backend: CI runs this file once with /proc and once with `EPHEMERAL_SERVERS_PROCFS=0`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkProcessIdentities,
  checkProcessIdentity,
  describeUnverified,
  hasProcessEnded,
  isProcessAlive,
  isProcessGroupAlive,
  listProcessGroup,
  readProcessStartTime,
} from '../../src/process/process-identity.js';
import { checkProcessGroup, signalGroupAndWait } from '../../src/process/stop-process-group.js';
import { backendKind, otherBackendStartTime, reusedStartTime } from './backend.js';
import { eventually, killAll, startGroupWithGrandchild, startSleeper, startZombie } from './processes.js';

afterEach(() => killAll());

describe(`process identity (${backendKind} backend)`, () => {
  it('tells the recorded process from a reused pid, and says when it cannot tell', async () => {
    const sleeper = await startSleeper();
    const startTime = readProcessStartTime(sleeper.pid);
    expect(checkProcessIdentity(sleeper.pid, startTime)).toBe('alive');
    // The pid, with another start time of this backend: the recorded process is gone, the pid reused.
    expect(checkProcessIdentity(sleeper.pid, reusedStartTime())).toBe('reused');
    expect(isProcessAlive(sleeper.pid, reusedStartTime())).toBe(false);
    // No start time, or one of the other backend: it may be the one or not.
    expect(checkProcessIdentity(sleeper.pid, undefined)).toBe('unverified');
    expect(checkProcessIdentity(sleeper.pid, otherBackendStartTime())).toBe('unverified');
    expect(isProcessAlive(sleeper.pid, otherBackendStartTime())).toBe(true);
    expect(describeUnverified(otherBackendStartTime())).toMatch(
      /recorded by the (procfs|posix) backend.*cannot be compared/,
    );
    expect(describeUnverified(undefined)).toBe('no start time was recorded for it');
    expect(
      checkProcessIdentities([
        { pid: sleeper.pid, startTime },
        { pid: sleeper.pid, startTime: reusedStartTime() },
        { pid: process.pid },
      ]),
    ).toEqual(['alive', 'reused', 'unverified']);
  });

  it('never lets a group be signalled on a reused or unverified pid', async () => {
    const sleeper = await startSleeper();
    const target = { pid: sleeper.pid, pgid: sleeper.pid };
    expect(checkProcessGroup({ ...target, startTime: readProcessStartTime(sleeper.pid) })).toBe('alive');
    expect(checkProcessGroup({ ...target, startTime: reusedStartTime() })).toBe('foreign');
    expect(checkProcessGroup({ ...target, startTime: otherBackendStartTime() })).toBe('unverified');
    expect(checkProcessGroup(target)).toBe('unverified');
  });

  it('reports a dead process dead, however its start time was recorded', async () => {
    const sleeper = await startSleeper();
    const startTime = readProcessStartTime(sleeper.pid);
    sleeper.child.kill('SIGKILL');
    await new Promise((resolve) => sleeper.child.once('exit', resolve));
    for (const recorded of [startTime, undefined, otherBackendStartTime()]) {
      expect(checkProcessIdentity(sleeper.pid, recorded)).toBe('dead');
      expect(hasProcessEnded(sleeper.pid, recorded)).toBe(true);
    }
    expect(checkProcessGroup({ pid: sleeper.pid, pgid: sleeper.pid, startTime })).toBe('gone');
  });

  it('counts zombies dead: a group whose only other member is a zombie stops at once, without SIGKILL', async () => {
    const { holder, zombie } = await startZombie();
    expect(await eventually(() => !isProcessAlive(zombie))).toBe(true);
    expect(checkProcessIdentity(zombie, undefined)).toBe('dead');
    expect(listProcessGroup(holder.pid)).toEqual([holder.pid]);
    const started = performance.now();
    const outcome = await signalGroupAndWait(holder.pid, { signal: 'SIGTERM', stopTimeoutMs: 5000 });
    const ms = performance.now() - started;
    expect(outcome).toEqual({ forced: false, wasRunning: true, foreign: false });
    // Counted alive, the zombie would hold the wait for the whole 5 s and then need SIGKILL.
    expect(ms).toBeLessThan(2000);
    expect(isProcessGroupAlive(holder.pid)).toBe(false);
    process.stdout.write(
      `[platform figures] ${backendKind}: group with a zombie member stopped in ${ms.toFixed(1)} ms\n`,
    );
  });

  it('sees a group alive while a grandchild lives on after its leader', async () => {
    const { leader, grandchild } = await startGroupWithGrandchild();
    const startTime = readProcessStartTime(leader.pid);
    process.kill(leader.pid, 'SIGKILL');
    await new Promise((resolve) => leader.child.once('exit', resolve));
    expect(isProcessAlive(grandchild)).toBe(true);
    expect(checkProcessGroup({ pid: leader.pid, pgid: leader.pid, startTime })).toBe('alive');
    expect(listProcessGroup(leader.pid)).toEqual([grandchild]);
  });
});
