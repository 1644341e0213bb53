/**
 * What the adapters tell a failing test (src/adapters/failure-report.ts), against a real run: the output
 * a server wrote since a test's start, a SIGKILLed server found dead with its recorded signal (waiting
 * for the supervisor's record when the test fails first), a death reported once, and the run's logs
 * kept once a test failed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findDeadServers, keepLogsOfFailedRun, markLogs, outputSince } from '../../src/adapters/failure-report.js';
import { defineServers, ServerDeadError, startRun, type RunOwner } from '../../src/index.js';
import { waitUntilGone } from '../helpers/processes.js';
import { useKeptLogsRoot } from '../logs/kept-root.js';

const server = fileURLToPath(new URL('../fixtures/access-log-server.mjs', import.meta.url));
// First: its cleanup runs after the owner's teardown below.
const keptRoot = useKeptLogsRoot();
let owner: RunOwner | undefined;

afterEach(async () => {
  await owner?.teardown();
  owner = undefined;
});

describe('the failure report', () => {
  it('gives a live server’s output since the test began, a killed one’s death once, and keeps the logs of the run', async () => {
    owner = await startRun({
      config: defineServers({
        a: { command: [process.execPath, server, '{port}'] },
        b: { command: [process.execPath, server, '{port}'] },
      }),
      exportEnv: false,
      sweep: false,
    });
    const { stateFile } = owner.run;
    await fetch(`${owner.endpoints.a!.url}/before`);
    const marks = markLogs(stateFile);
    const startedAt = Date.now();
    await fetch(`${owner.endpoints.b!.url}/during`);
    const outputs = outputSince(stateFile, marks, ['a@0', 'b@0']);
    expect(outputs.map((output) => output.key)).toEqual(['b@0']);
    expect(outputs[0]!.lines).toEqual([expect.stringContaining('"GET /during HTTP/1.1" 404')]);

    const pid = (await (await import('../../src/state/index.js')).readState(stateFile)).servers['a@0']!.pid;
    process.kill(pid, 'SIGKILL');
    // kill(2) returns before the process is gone. Once it is (a test failing on ECONNREFUSED sees it
    // gone), at once: the supervisor's record with the signal is awaited by findDeadServers.
    expect(await waitUntilGone([pid])).toEqual([]);
    const [dead, ...more] = await findDeadServers(stateFile, ['a@0', 'b@0'], startedAt);
    expect(more).toEqual([]);
    expect(dead).toBeInstanceOf(ServerDeadError);
    expect(dead).toMatchObject({ server: 'a', slot: 0, exit: { code: null, signal: 'SIGKILL' } });
    expect(dead!.outputTail).toContain('WARNING:  DATABASE_URL is not set: the app has no routes');
    expect(existsSync(dead!.logPath!)).toBe(true);
    // A later failing test in the same process is not told again.
    expect(await findDeadServers(stateFile, ['a@0', 'b@0'], Date.now())).toEqual([]);

    keepLogsOfFailedRun(stateFile);
    const runDirName = basename(owner.run.runDir);
    await owner.teardown();
    owner = undefined;
    expect(readdirSync(join(keptRoot(), runDirName)).sort()).toEqual(['a@0.log', 'b@0.log']);
  }, 30_000);
});
