import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunDirectoryError, SupervisorUnreachableError } from '../../src/errors.js';
import { createOwnedRun } from '../../src/run/owned-run.js';
import { createRunDirectory, MAX_SOCKET_PATH_BYTES } from '../../src/run/run-dir.js';
import { makeStateEntry } from '../fixtures/state-entry.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('errors of a run', () => {
  it('refuses a TMPDIR too long for a Unix socket path with RunDirectoryError, creating nothing', async () => {
    const base = await mkdtemp(join(tmpdir(), 'es-long-'));
    dirs.push(base);
    const long = join(base, 'x'.repeat(MAX_SOCKET_PATH_BYTES - base.length));
    mkdirSync(long);
    const error = await createRunDirectory(long).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RunDirectoryError);
    expect(error).toMatchObject({ name: 'RunDirectoryError', code: 'ES_RUN_DIR', dir: long });
    expect((error as Error).message).toMatch(/Set TMPDIR to a shorter directory/);
    expect(readdirSync(long)).toEqual([]);
  });

  it('answers a change sent to a run that has ended with SupervisorUnreachableError naming the run, at once', async () => {
    const owned = await createOwnedRun({ exportEnv: false });
    await owned.client.request('record', { key: 'api@0', entry: makeStateEntry('api') });
    await owned.end();
    expect(existsSync(owned.run.runDir)).toBe(false);
    const startedAt = performance.now();
    const error = await owned.client
      .request('record', { key: 'api@0', entry: makeStateEntry('api') })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SupervisorUnreachableError);
    expect(error).toMatchObject({ code: 'ES_SUPERVISOR_UNREACHABLE', runDir: owned.run.runDir });
    expect((error as Error).message).toMatch(/the run directory is gone/);
    expect((error as Error).message).toMatch(/ephemeral-servers prune/);
    console.log(`[run] a request to an ended run failed in ${(performance.now() - startedAt).toFixed(1)} ms`);
  });
});
