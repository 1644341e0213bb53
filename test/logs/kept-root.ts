import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { KEPT_LOGS_ENV } from '../../src/logs/kept-logs.js';

/**
 * Gives each test of the file a fresh directory for kept logs (`EPHEMERAL_SERVERS_LOGS_DIR`, read by
 * this process and by the supervisors it spawns, which inherit it), removed after the test, the
 * variable restored. Call at the top level, before other hooks: its cleanup then runs after theirs.
 * @returns The current test's directory.
 */
export function useKeptLogsRoot(): () => string {
  let root: string | undefined;
  let previous: string | undefined;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'es-kept-'));
    previous = process.env[KEPT_LOGS_ENV];
    process.env[KEPT_LOGS_ENV] = root;
  });
  afterEach(() => {
    if (previous === undefined) delete process.env[KEPT_LOGS_ENV];
    else process.env[KEPT_LOGS_ENV] = previous;
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });
  return () => root!;
}
