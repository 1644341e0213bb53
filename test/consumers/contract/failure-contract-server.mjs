#!/usr/bin/env node
// The failure-mode contract's command server (failure-contract.config.mjs): binds the port it is
// given and answers GET /info; each start appends `{ name, pid, port, stateFile }` to servers.jsonl in
// the harness's report directory, and each SIGTERM appends the name to stops.log before it exits (the
// order the run stopped its servers in). With `--crash` it prints a line and exits 3 before listening.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [name = 'server', port = '0', flag] = process.argv.slice(2);
const reportDir = process.env.ES_CONTRACT_REPORT_DIR;
const append = (file, line) => reportDir && appendFileSync(join(reportDir, file), `${line}\n`);
if (flag === '--crash') {
  console.error(`${name}: fatal: contract crash before listening`);
  process.exit(3);
}
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ name, pid: process.pid }));
});
server.listen(Number(port), '127.0.0.1', () => {
  append(
    'servers.jsonl',
    JSON.stringify({
      name,
      pid: process.pid,
      port: server.address().port,
      stateFile: process.env.EPHEMERAL_SERVERS_STATE ?? null,
    }),
  );
  console.log(`${name} listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => {
  append('stops.log', name);
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
