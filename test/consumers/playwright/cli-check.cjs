// Run by `npm run cli` as `ephemeral-servers run -- node cli-check.cjs`: the installed bin (shebang,
// ES module entry, exec bit set by npm) started the run-scoped server of the contract config and
// exported its endpoint; `ls --json` from inside the run sees it.
'use strict';
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const http = require('node:http');

assert.match(process.env.SHARED_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
assert.equal(process.env.SHARED_URL, `http://${process.env.SHARED_HOST}:${process.env.SHARED_PORT}`);
assert.ok(process.env.EPHEMERAL_SERVERS_STATE, 'EPHEMERAL_SERVERS_STATE is exported');
assert.equal(process.env.API_URL, undefined, 'worker-scoped servers are not started by `run`');
const [run] = JSON.parse(
  execFileSync('npx', ['--no-install', 'ephemeral-servers', 'ls', '--json'], { encoding: 'utf8' }),
);
assert.deepEqual(
  run.servers.map((s) => [s.name, s.status, s.url]),
  [['shared', 'running', process.env.SHARED_URL]],
);
http.get(`${process.env.SHARED_URL}/info`, (res) => {
  let body = '';
  res.on('data', (chunk) => (body += chunk));
  res.on('end', () => {
    assert.equal(JSON.parse(body).name, 'shared');
    console.log(`cli-check: ok (${process.env.SHARED_URL})`);
  });
});
