import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { leftoverRunDirs, runFixtureVitest } from './run-vitest.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

// A server that fails to start, and Vitest signalled mid-run: test/consumers/failure-contract.test.ts.
describe.concurrent('the global setup fails the run clearly on a bad config and leaves nothing running', () => {
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
