/** The consumer contract's checker must catch what it is there to catch (checked on made-up reports). */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkNothingLeft, checkReports, type VisitReport } from './contract/check-contract.js';

const endpoint = (name: string, slot: number, port: number) => ({
  name,
  slot,
  host: '127.0.0.1',
  port,
  url: `http://127.0.0.1:${port}`,
});

function report(slot: number, apiPort: number, apiPid: number, stateFile = '/tmp/run-x/state.json'): VisitReport {
  return {
    file: `f${slot}-${apiPort}`,
    slot,
    testPid: 999_999_001,
    stateFile,
    endpoints: {
      shared: endpoint('shared', 0, 4000),
      api: endpoint('api', slot, apiPort),
      inproc: endpoint('inproc', slot, 5000 + slot),
    },
    pids: { shared: 999_999_100, api: apiPid, inproc: 999_999_001 },
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('consumer contract checks', () => {
  it('accepts one instance per slot, reused within the slot', () => {
    expect(
      checkReports([report(1, 4001, 11), report(1, 4001, 11), report(2, 4002, 12), report(2, 4002, 12)], {
        files: 4,
        minSlots: 2,
      }),
    ).toEqual([]);
  });

  it('catches two slots sharing an instance, a slot not reusing its own, too few slots and missing files', () => {
    expect(checkReports([report(1, 4001, 11), report(2, 4001, 11)], { files: 2, minSlots: 2 }).join('\n')).toMatch(
      /two slots shared/,
    );
    expect(checkReports([report(1, 4001, 11), report(1, 4003, 13)], { files: 2 }).join('\n')).toMatch(
      /slot 1: .* reused/,
    );
    expect(checkReports([report(1, 4001, 11), report(1, 4001, 11)], { files: 2, minSlots: 2 }).join('\n')).toMatch(
      /at least 2 worker slots/,
    );
    expect(checkReports([report(1, 4001, 11)], { files: 2 }).join('\n')).toMatch(/expected 2 test file reports/);
    expect(
      checkReports([report(1, 4001, 11), report(2, 4002, 12, '/tmp/run-y/state.json')], { files: 2 }).join('\n'),
    ).toMatch(/one state file/);
  });

  it('catches a live process of the run and a run directory left behind', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'es-contract-check-'));
    cleanups.push(() => rmSync(runDir, { recursive: true, force: true }));
    mkdirSync(join(runDir, 'logs'));
    const stateFile = join(runDir, 'state.json');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      env: { ...process.env, EPHEMERAL_SERVERS_STATE: stateFile },
      stdio: 'ignore',
    });
    cleanups.push(() => child.kill('SIGKILL'));
    await new Promise((resolve) => child.once('spawn', resolve));
    const problems = (await checkNothingLeft([report(1, 4001, child.pid!, stateFile)], 50)).join('\n');
    expect(problems).toContain(`still running (servers or test workers): ${child.pid}`);
    expect(problems).toContain(`EPHEMERAL_SERVERS_STATE still running: ${child.pid}`);
    expect(problems).toContain(`run directory still exists: ${runDir}`);
  });
});
