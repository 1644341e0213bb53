// The in-test half of the consumer contract, for every runner (CommonJS, so that CommonJS and ES
// module tests alike can load it). A test calls `visitServers` with what its adapter exposes; it checks
// what can be checked from inside one test file and writes a report that the harness
// (test/consumers/contract/check-contract.ts) checks across files and after the run.
'use strict';
const assert = require('node:assert/strict');
const { randomUUID } = require('node:crypto');
const { readdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const http = require('node:http');
const { join } = require('node:path');

/** GET `url` and parse its JSON body. */
function getJson(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          try {
            assert.equal(res.statusCode, 200, `GET ${url}: status ${res.statusCode}`);
            resolve(JSON.parse(body));
          } catch (error) {
            reject(error);
          }
        });
      })
      .on('error', reject);
  });
}

/**
 * Checks the endpoints a test file was given and records them.
 * @param {{ file: string, slot: number, endpoints: Record<string, { name: string, slot: number, host: string, port: number, url: string }> }} visit
 *   `slot`: the 1-based worker slot the runner says this test runs in; `endpoints`: by server name, as the adapter exposes them.
 * @returns {Promise<object>} the report written.
 */
async function visitServers({ file, slot, endpoints }) {
  const reportDir = process.env.ES_CONTRACT_REPORT_DIR;
  assert.ok(reportDir, 'ES_CONTRACT_REPORT_DIR is not set: run this project through test/consumers/consumers.test.ts');
  assert.deepEqual(
    Object.keys(endpoints).sort(),
    ['api', 'inproc', 'shared'],
    'every server of the contract config is visible',
  );
  const { shared, api, inproc } = endpoints;
  assert.equal(shared.slot, 0, 'a run-scoped server has slot 0');
  assert.equal(api.slot, slot, "a worker-scoped server belongs to the test's slot");
  assert.equal(inproc.slot, slot, "an in-process worker-scoped server belongs to the test's slot");
  for (const endpoint of [shared, api, inproc]) assert.equal(endpoint.url, `http://${endpoint.host}:${endpoint.port}`);
  const info = {
    shared: await getJson(`${shared.url}/info`),
    api: await getJson(`${api.url}/info`),
    inproc: await getJson(`${inproc.url}/info`),
  };
  assert.equal(info.shared.name, 'shared');
  assert.equal(info.api.name, 'api');
  assert.equal(info.api.port, api.port, 'the announced port is the one the server bound');
  assert.equal(info.api.sharedUrl, shared.url, 'a dependency placeholder reached the dependent server');
  assert.equal(info.inproc.name, 'inproc');
  const report = {
    file,
    slot,
    testPid: process.pid,
    stateFile: process.env.EPHEMERAL_SERVERS_STATE ?? null,
    endpoints: { shared, api, inproc },
    pids: { shared: info.shared.pid, api: info.api.pid, inproc: info.inproc.pid },
  };
  // Written then renamed: other workers read the .json reports while this one writes (waitForSlots).
  const name = randomUUID();
  writeFileSync(join(reportDir, `${name}.tmp`), JSON.stringify(report, null, 2));
  renameSync(join(reportDir, `${name}.tmp`), join(reportDir, `${name}.json`));
  await waitForSlots(reportDir, Number(process.env.ES_CONTRACT_MIN_SLOTS ?? '1'));
  // A run that checks that a failing test's exit code reaches the harness (through `ephemeral-servers run`).
  const failIn = process.env.ES_CONTRACT_FAIL;
  if (failIn && file.includes(failIn)) assert.fail(`ES_CONTRACT_FAIL: deliberate failure in ${file}, after its report`);
  return report;
}

/**
 * Holds this test file until files of `minSlots` distinct slots have reported (or 10 s passed): a
 * runner may otherwise feed every file to its first worker while the second one still boots, and the
 * isolation between slots would go unchecked. Not an assertion: the harness checks the slot count.
 */
async function waitForSlots(reportDir, minSlots) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const slots = new Set(
      readdirSync(reportDir)
        .filter((name) => name.endsWith('.json'))
        .map((name) => JSON.parse(readFileSync(join(reportDir, name), 'utf8')).slot),
    );
    if (slots.size >= minSlots || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

module.exports = { visitServers };
