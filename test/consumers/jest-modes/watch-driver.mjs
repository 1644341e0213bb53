#!/usr/bin/env node
// `jest --watchAll` in a pseudo-terminal (util-linux `script`), as a developer runs it
// (docs/runner-modes.md):
//   1. first run: shared (MARK=1) and this slot's api start;
//   2. the test file changes (touched): Jest reruns, a new run, so both start again;
//   3. the servers config (servers.config.mjs) changes (MARK=2): the rerun's servers have the new env;
//   4. `q`: Jest quits; the harness checks that no server and no run directory is left.
// Exits 0 when every step held.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const jestBin = join(here, 'node_modules/jest/bin/jest.js');
const watchDir = mkdtempSync(join(tmpdir(), 'jest-watch-'));
const seenDir = mkdtempSync(join(tmpdir(), 'jest-watch-seen-'));
// An .mjs config: Jest runs the global setup again in the same process, which must load it afresh.
const configFile = join(watchDir, 'servers.config.mjs');
const testFile = join(here, 'tests/watch/w.test.cjs');

function writeConfig(mark) {
  const server = JSON.stringify(join(here, '../contract/watch-server.mjs'));
  const node = JSON.stringify(process.execPath);
  writeFileSync(
    configFile,
    `export default {
  shared: { command: [${node}, ${server}, 'shared', '{port}'], env: { MARK: '${mark}' }, readiness: { type: 'http', path: '/info' } },
  api: { scope: 'worker', port: 0, command: [${node}, ${server}, 'api', '0'], env: { SHARED_URL: '{shared.url}' }, readiness: /listening on http:\\/\\/[^:]+:(?<port>\\d+)/, dependsOn: ['shared'] },
};
`,
  );
}

const seen = () => {
  try {
    return readFileSync(join(seenDir, 'seen.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
};
const isLive = (pid) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z');
  } catch {
    return false;
  }
};

let output = '';
/** Waits (up to 20 s) until `done()` holds. */
async function until(done, what) {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
/** Waits for the next run's test, then for its global teardown (its `shared` gone). */
async function nextRun(what) {
  const before = seen().length;
  await until(() => seen().length > before, what);
  const last = seen().at(-1);
  await until(() => !isLive(last.shared.pid) && !isLive(last.api.pid), `the teardown after ${what}`);
  // Let a second change event of the same write settle before the next step.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return last;
}

writeConfig(1);
const env = { ...process.env, EPHEMERAL_SERVERS_CONFIG: configFile, ES_WATCH_DIR: watchDir, ES_WATCH_SEEN: seenDir };
// Jest reads keys only from an interactive terminal; CI=true would make it non-interactive.
delete env.CI;
const command = [process.execPath, jestBin, '-c', 'jest.watch.config.cjs', '--watchAll']
  .map((arg) => `'${arg}'`)
  .join(' ');
const terminal = spawn('script', ['-qfec', command, '/dev/null'], { cwd: here, env, stdio: ['pipe', 'pipe', 'pipe'] });
terminal.stdout.on('data', (chunk) => (output += chunk.toString()));
terminal.stderr.on('data', (chunk) => (output += chunk.toString()));
const exited = new Promise((resolve) => terminal.on('exit', (code, signal) => resolve(code ?? signal)));

let code = 1;
try {
  const startedAt = performance.now();
  const first = await nextRun('the first run');
  console.log(`jest watch: first run done in ${Math.round(performance.now() - startedAt)} ms`);
  assert.equal(first.shared.mark, '1');

  let at = performance.now();
  const now = new Date();
  utimesSync(testFile, now, now);
  const second = await nextRun('the rerun after the test file changed');
  console.log(`jest watch: rerun after a test file change done in ${Math.round(performance.now() - at)} ms`);
  assert.notEqual(second.shared.pid, first.shared.pid, 'each rerun is a run of its own: shared started again');
  assert.equal(second.shared.mark, '1');

  at = performance.now();
  writeConfig(2);
  const third = await nextRun('the rerun after the servers config changed');
  console.log(`jest watch: rerun after a servers config change done in ${Math.round(performance.now() - at)} ms`);
  assert.equal(third.shared.mark, '2', 'the edited env reached the server');
  assert.equal(third.api.sharedUrl, `http://127.0.0.1:${new URL(third.api.sharedUrl).port}`);

  const quitAt = performance.now();
  terminal.stdin.write('q');
  const result = await Promise.race([
    exited,
    new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000).unref()),
  ]);
  assert.equal(result, 0, `jest quits on q:\n${output}`);
  console.log(
    `jest watch: ${seen().length} runs; shared pids ${seen()
      .map((s) => s.shared.pid)
      .join(', ')}; quit in ${Math.round(performance.now() - quitAt)} ms`,
  );
  code = 0;
} catch (error) {
  console.error(error);
} finally {
  if (terminal.exitCode === null) terminal.kill('SIGKILL');
  rmSync(watchDir, { recursive: true, force: true });
  rmSync(seenDir, { recursive: true, force: true });
}
process.exit(code);
