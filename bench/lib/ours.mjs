// ephemeral-servers as users get it: the built package (npm run build first).
import { readFileSync } from 'node:fs';
import { startRun } from '../../dist/index.js';

export * from '../../dist/index.js';
// Not public (the state file's reader and the config validator are internal): from the source, which
// `npm run bench` runs under tsx. Both are stateless, so a second module instance changes nothing.
export { readState } from '../../src/state/state-file.ts';
export { validateConfig } from '../../src/config/validate-config.ts';
export const OUR_VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/**
 * A run with no running server, as a globalSetup leaves it for its workers to join: `startRun` with one
 * worker-scoped server that is never started (a config with no server at all is rejected). Returns the
 * run owner: `owner.run.stateFile`, `owner.teardown()`. No sweep of stale runs, no `process.env` change.
 */
export function startEmptyRun() {
  return startRun({
    config: { idle: { command: ['node', 'unused.js'], scope: 'worker' } },
    sweep: false,
    exportEnv: false,
  });
}
