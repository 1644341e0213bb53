#!/usr/bin/env node
// Vitest watch mode through Vitest's programmatic API (docs/runner-modes.md): the servers config is
// edited between reruns, and what restarted is checked from the servers' own answers.
//   1. first run: shared (MARK=1), other, api (worker, depends on shared)
//   2. shared's env changes: shared and api restart, other keeps its pid; the terminal says so
//   3. the config becomes invalid: the rerun fails with the ConfigError, shared keeps running
//   4. fixed again (MARK=3): shared restarts, the rerun passes
// Exits 0 when every step held; the harness then checks that nothing is left.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createVitest } from 'vitest/node';

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'watch-'));
const configFile = join(dir, 'servers.config.mjs');
process.env.EPHEMERAL_SERVERS_CONFIG = configFile;
process.env.ES_WATCH_DIR = dir;

function writeConfig(mark, { invalid = false } = {}) {
  const server = JSON.stringify(join(here, '../contract/watch-server.mjs'));
  const node = JSON.stringify(process.execPath);
  writeFileSync(
    configFile,
    `export default {
  shared: { command: ${invalid ? '[]' : `[${node}, ${server}, 'shared', '{port}']`}, env: { MARK: '${mark}' }, readiness: { type: 'http', path: '/info' } },
  other: { command: [${node}, ${server}, 'other', '{port}'], readiness: { type: 'http', path: '/info' } },
  api: { scope: 'worker', port: 0, command: [${node}, ${server}, 'api', '0'], env: { SHARED_URL: '{shared.url}' }, readiness: /listening on http:\\/\\/[^:]+:(?<port>\\d+)/, dependsOn: ['shared'] },
};
`,
  );
}

let output = '';
// The setup's own lines go to stderr: keep them too.
const writeStderr = process.stderr.write.bind(process.stderr);
process.stderr.write = (chunk, ...rest) => {
  output += chunk.toString();
  return writeStderr(chunk, ...rest);
};
const capture = new Writable({
  write(chunk, _encoding, callback) {
    output += chunk.toString();
    process.stdout.write(chunk);
    callback();
  },
});

const ends = [];
const seen = () => {
  try {
    return readFileSync(join(dir, 'seen.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
};
/** Waits (up to 20 s) until `done()` holds. */
async function until(done, what) {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
/** Edits the config, then waits for the rerun it triggers to end (Vitest reports each end). */
async function edit(mark, options) {
  const before = ends.length;
  writeConfig(mark, options);
  await until(() => ends.length > before, `the rerun after edit ${mark}`);
  // Let a second change event of the same write (editors and fs events often come twice) settle.
  await new Promise((resolve) => setTimeout(resolve, 800));
  return ends.at(-1);
}

writeConfig(1);
const vitest = await createVitest(
  'test',
  {
    watch: true,
    root: here,
    include: ['tests/watch/*.test.mjs'],
    globalSetup: ['ephemeral-servers/vitest/setup'],
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default', { onTestRunEnd: (modules, errors, reason) => void ends.push({ modules, errors, reason }) }],
  },
  {},
  { stdout: capture, stderr: capture },
);
let code = 1;
try {
  await vitest.start();
  // The watcher may report the config file's first write once more: wait for Vitest to go quiet.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(ends.at(-1)?.reason, 'passed', 'first run passes');
  const first = seen()[0];
  assert.equal(first.shared.mark, '1');

  let result = await edit(2);
  assert.equal(result.reason, 'passed', `rerun after the edit passes:\n${output}`);
  const second = seen().at(-1);
  assert.equal(second.shared.mark, '2', 'the edited env reached the server');
  assert.notEqual(second.shared.pid, first.shared.pid, 'shared restarted');
  assert.notEqual(second.api.pid, first.api.pid, 'api, which depends on shared, restarted');
  assert.equal(second.other.pid, first.other.pid, 'other, unchanged, kept running');
  assert.match(
    output,
    /servers\.config\.mjs changed: restarted shared; stopped worker instances api@1/,
    'the terminal says which servers restarted',
  );

  const runsBefore = seen().length;
  result = await edit(2, { invalid: true }).catch((error) => ({ reason: String(error) }));
  console.log(`invalid config: the rerun ended with ${result.reason}`);
  assert.match(output, /Invalid servers config/, 'the rerun shows the ConfigError');
  assert.equal(seen().length, runsBefore, 'no test ran against an invalid config');
  process.kill(second.shared.pid, 0); // still running: the old servers stay until the config is fixed

  result = await edit(3);
  assert.equal(result.reason, 'passed', `the rerun after the fix passes:\n${output}`);
  const fourth = seen().at(-1);
  assert.equal(fourth.shared.mark, '3');
  assert.equal(fourth.other.pid, first.other.pid, 'other still kept running');
  console.log(
    `watch: ${seen().length} runs; shared pids ${[...new Set(seen().map((s) => s.shared.pid))].join(', ')}; other pid ${first.other.pid} throughout`,
  );
  code = 0;
} catch (error) {
  console.error(error);
} finally {
  await vitest.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
