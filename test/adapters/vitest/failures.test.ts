import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntilGone } from '../../helpers/processes.js';
import { leftoverRunDirs, leftoverRunDirsAfter, runFixtureVitest } from './run-vitest.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe.concurrent('the global setup fails the run clearly and leaves nothing running', () => {
  it('when a run-scoped server exits before it is ready: ServerExitedError with its output; started dependencies stopped', async () => {
    const run = await runFixtureVitest([], { EPHEMERAL_SERVERS_CONFIG: 'servers.crash.ts' });
    dirs.push(run.dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('ServerExitedError');
    expect(run.output).toContain('Server "broken" exited before it was ready (exit code 3)');
    expect(run.output).toContain('broken: fatal: config file missing');
    expect(run.results).toEqual([]);
    // `ok` did start (it is a dependency of `broken`), and was stopped.
    expect(run.boots.map(([name]) => name).sort()).toEqual(['broken', 'ok']);
    expect(await waitUntilGone(run.boots.map(([, pid]) => pid))).toEqual([]);
    expect(await leftoverRunDirsAfter(run.dir)).toEqual([]);
  });

  it('when Vitest gets SIGTERM mid-run: every server stops, worker-scoped and in-process ones included', async () => {
    const run = await runFixtureVitest(['--maxWorkers', '2'], {}, { afterBoot: 'dep', signal: 'SIGTERM' });
    dirs.push(run.dir);
    expect(run.code).not.toBe(0);
    expect(run.boots.map(([name]) => name)).toContain('dep');
    // Servers and the workers hosting the in-process ones (their pids are the `inproc` boots).
    expect(await waitUntilGone(run.boots.map(([, pid]) => pid))).toEqual([]);
    // Vitest exits without awaiting the teardown; the supervisor removes the run directory once the servers are gone.
    expect(await leftoverRunDirsAfter(run.dir)).toEqual([]);
  });

  it('when servers.config.ts is invalid: ConfigError listing every problem; nothing started', async () => {
    const run = await runFixtureVitest([], { EPHEMERAL_SERVERS_CONFIG: 'servers.invalid.ts' });
    dirs.push(run.dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('ConfigError');
    expect(run.output).toMatch(/Invalid servers config \(2 problems\)/);
    expect(run.output).toContain('stopTimeoutMs');
    expect(run.boots).toEqual([]);
    expect(leftoverRunDirs(run.dir)).toEqual([]);
  });

  it('when the config file named by EPHEMERAL_SERVERS_CONFIG does not exist: ConfigError naming the path', async () => {
    const run = await runFixtureVitest([], { EPHEMERAL_SERVERS_CONFIG: 'nope.config.ts' });
    dirs.push(run.dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/config file \S*nope\.config\.ts does not exist/);
    expect(leftoverRunDirs(run.dir)).toEqual([]);
  });
});
