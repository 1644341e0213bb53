import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServerExitedError } from '../../src/errors.js';
import { KEPT_LOGS_ENV, KEPT_RUNS, keepAllLogs, keepLog, keepRunLogs, keptLogPath } from '../../src/logs/kept-logs.js';
import { removeRunDirectory } from '../../src/run/remove-run-dir.js';

let sandbox: string;
let keptRoot: string;
let previous: string | undefined;

function makeRun(name = 'ephemeral-servers-run-abc123'): { runDir: string; logDir: string } {
  const runDir = join(sandbox, name);
  mkdirSync(join(runDir, 'logs'), { recursive: true });
  return { runDir, logDir: join(runDir, 'logs') };
}

beforeEach(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'es-kept-'));
  keptRoot = join(sandbox, 'kept');
  previous = process.env[KEPT_LOGS_ENV];
  process.env[KEPT_LOGS_ENV] = keptRoot;
});
afterEach(() => {
  if (previous === undefined) delete process.env[KEPT_LOGS_ENV];
  else process.env[KEPT_LOGS_ENV] = previous;
  rmSync(sandbox, { recursive: true, force: true });
});

describe('kept logs', () => {
  it('an error naming a log names its kept copy, which the end of the run refreshes and leaves in place', async () => {
    const { runDir, logDir } = makeRun();
    writeFileSync(join(logDir, 'api@1.log'), 'starting\nboom\n');
    writeFileSync(join(logDir, 'db@0.log'), 'db ready\n');
    const error = new ServerExitedError('api', { code: 1, signal: null }, ['boom'], join(logDir, 'api@1.log'));
    expect(error.logPath).toBe(join(keptRoot, basename(runDir), 'api@1.log'));
    expect(error.message).toContain(`full log: ${error.logPath}`);
    writeFileSync(join(logDir, 'api@1.log'), 'starting\nboom\nstopped\n');
    await removeRunDirectory(runDir);
    expect(existsSync(runDir)).toBe(false);
    expect(readFileSync(error.logPath!, 'utf8')).toBe('starting\nboom\nstopped\n');
    // Only what an error named: the other server's log went with the run.
    expect(readdirSync(join(keptRoot, basename(runDir)))).toEqual(['api@1.log']);
  });

  it('a run with a failed test keeps every log; a clean run keeps nothing', async () => {
    const failed = makeRun('ephemeral-servers-run-failed');
    writeFileSync(join(failed.logDir, 'a@0.log'), 'a\n');
    writeFileSync(join(failed.logDir, 'b@1.log'), 'b\n');
    keepAllLogs(failed.logDir);
    const clean = makeRun('ephemeral-servers-run-clean1');
    writeFileSync(join(clean.logDir, 'a@0.log'), 'a\n');
    await removeRunDirectory(failed.runDir);
    await removeRunDirectory(clean.runDir);
    expect(readdirSync(join(keptRoot, 'ephemeral-servers-run-failed')).sort()).toEqual(['a@0.log', 'b@1.log']);
    expect(readdirSync(keptRoot)).toEqual(['ephemeral-servers-run-failed']);
  });

  it(`keeps the last ${KEPT_RUNS} runs only`, () => {
    for (let i = 0; i < KEPT_RUNS + 3; i++) {
      const { logDir } = makeRun(`ephemeral-servers-run-r${String(i).padStart(4, '0')}`);
      writeFileSync(join(logDir, 'a@0.log'), `${i}\n`);
      keepLog(join(logDir, 'a@0.log'));
      // Older runs have older mtimes.
      const when = new Date(Date.now() - (KEPT_RUNS + 3 - i) * 60_000);
      utimesSync(join(keptRoot, `ephemeral-servers-run-r${String(i).padStart(4, '0')}`), when, when);
    }
    const runs = readdirSync(keptRoot).sort();
    expect(runs.length).toBe(KEPT_RUNS);
    expect(runs[0]).toBe('ephemeral-servers-run-r0003');
  });

  it('a path outside a run, or a log already gone, is named as given', () => {
    expect(keepLog('/var/log/app.log')).toBe('/var/log/app.log');
    expect(keptLogPath('/var/log/app.log')).toBeUndefined();
    const { logDir } = makeRun();
    expect(keepLog(join(logDir, 'gone@0.log'))).toBe(join(logDir, 'gone@0.log'));
    expect(keepRunLogs(join(sandbox, 'nope', 'logs'))).toBeUndefined();
  });
});

describe('a log that cannot be kept', () => {
  it('is named by its own path, so the error that names it is still raised', () => {
    const { logDir } = makeRun();
    writeFileSync(join(logDir, 'api@0.log'), 'x\n');
    // The kept-logs root is a file: nothing can be created under it (ENOTDIR).
    writeFileSync(keptRoot, 'not a directory');
    const error = new ServerExitedError('api', { code: 1, signal: null }, [], join(logDir, 'api@0.log'));
    expect(error.logPath).toBe(join(logDir, 'api@0.log'));
  });
});
