/**
 * One contract, both backends: every question of `PlatformBackend` asked of procfs (/proc) and of
 * posix (ps, lsof, sysctl) about the same real processes and sockets, in the same test process. The
 * posix backend runs here on Linux with procps-ng ps and lsof; macOS and BSD ps take the same options.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { closeListeners, listenOn } from '../helpers/sockets.js';
import type { PlatformBackend } from '../../src/platform/platform-backend.js';
import { posixBackend } from '../../src/platform/posix-backend.js';
import { procfsBackend } from '../../src/platform/procfs-backend.js';
import { startTimeKind } from '../../src/platform/start-time.js';
import { eventually, killAll, startGroupWithGrandchild, startSleeper, startZombie } from './processes.js';

afterEach(async () => {
  killAll();
  await closeListeners();
});

describe.each([procfsBackend, posixBackend])('the $kind backend', (backend: PlatformBackend) => {
  it('reads a process: pid, parent, group and a start time of its own kind that does not change', async () => {
    const self = backend.readProcess(process.pid);
    expect(self).toMatchObject({ pid: process.pid, ppid: process.ppid, zombie: false });
    expect(startTimeKind(self!.startTime!)).toBe(backend.kind);
    const sleeper = await startSleeper();
    const child = backend.readProcess(sleeper.pid);
    // Detached: it leads its own group.
    expect(child).toMatchObject({ pid: sleeper.pid, ppid: process.pid, pgid: sleeper.pid, zombie: false });
    expect(backend.readProcess(sleeper.pid)?.startTime).toBe(child!.startTime);
    expect(Number(child!.startTime!.replace('ps:', ''))).toBeGreaterThanOrEqual(
      Number(self!.startTime!.replace('ps:', '')),
    );
  });

  it('answers undefined for a pid no process has, and reads many pids in one pass', async () => {
    const [a, b] = await Promise.all([startSleeper(), startSleeper()]);
    a.child.kill('SIGKILL');
    await new Promise((resolve) => a.child.once('exit', resolve));
    expect(backend.readProcess(a.pid)).toBeUndefined();
    const found = backend.readProcesses([a.pid, b.pid, process.pid]);
    expect([...found.keys()].sort()).toEqual([b.pid, process.pid].sort());
  });

  it('counts a zombie as dead, and leaves it out of its process group', async () => {
    const { holder, zombie } = await startZombie();
    expect(await eventually(() => backend.readProcess(zombie)?.zombie === true)).toBe(true);
    expect(backend.listGroupMembers(holder.pid)).toEqual([holder.pid]);
  });

  it('lists the live members of a process group, a grandchild included', async () => {
    const { leader, grandchild } = await startGroupWithGrandchild();
    expect(backend.listGroupMembers(leader.pid).sort()).toEqual([leader.pid, grandchild].sort());
    expect(backend.listGroupMembers(2_147_483_000)).toEqual([]);
  });

  it('finds processes by their environment, never by their command line', async () => {
    const runId = randomUUID();
    const marked = await startSleeper({ ES_PLATFORM_TEST: runId, ES_PLATFORM_KEY: 'api@0' });
    const otherKey = await startSleeper({ ES_PLATFORM_TEST: runId, ES_PLATFORM_KEY: 'web@0' });
    // The marker as an argument, not in the environment: not a match.
    const inArgv = await startSleeper({}, [`ES_PLATFORM_TEST=${runId}`, 'ES_PLATFORM_KEY=api@0']);
    const sorted = (pids: number[]): number[] => [...pids].sort((x, y) => x - y);
    expect(sorted(backend.findProcessesWithEnvironment({ env: { ES_PLATFORM_TEST: runId } }))).toEqual(
      sorted([marked.pid, otherKey.pid]),
    );
    expect(
      backend.findProcessesWithEnvironment({ env: { ES_PLATFORM_TEST: runId, ES_PLATFORM_KEY: 'api@0' } }),
    ).toEqual([marked.pid]);
    expect(
      backend.findProcessesWithEnvironment({ env: { ES_PLATFORM_TEST: runId }, pids: [otherKey.pid, inArgv.pid] }),
    ).toEqual([otherKey.pid]);
    expect(backend.findProcessesWithEnvironment({ env: { ES_PLATFORM_TEST: randomUUID() } })).toEqual([]);
  });

  it('reads a command line', async () => {
    const sleeper = await startSleeper({}, ['an argument']);
    expect(backend.readCommandLine(sleeper.pid)).toBe(`${process.execPath} -e setInterval(() => {}, 1000) an argument`);
  });

  it('names the holder of a listening port (this process first), lists listening ports, and answers undefined for a free port', async () => {
    for (const host of ['127.0.0.1', '::']) {
      const port = await listenOn(host);
      expect(await backend.findPortHolder(port)).toMatchObject({
        pid: process.pid,
        command: expect.stringContaining(process.execPath),
      });
      expect((await backend.listListeningPorts())?.has(port)).toBe(true);
    }
    const freed = await listenOn('127.0.0.1');
    await closeListeners();
    expect(await backend.findPortHolder(freed)).toBeUndefined();
  });

  it('reads the ephemeral port range the kernel uses', () => {
    const range = backend.readEphemeralPortRange();
    expect(range).toEqual(procfsBackend.readEphemeralPortRange());
    expect(range!.first).toBeLessThan(range!.last);
  });

  it('is not in a terminal foreground group without a terminal (the test runner has none)', () => {
    expect(backend.isTerminalForeground()).toBe(false);
  });
});
