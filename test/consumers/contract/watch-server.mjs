#!/usr/bin/env node
// The watch mode's command server: answers GET /info with its name, pid and `MARK` (what the config
// edits change), appends `<name> pid=<pid>` to starts.log in the harness's report directory, and exits
// on SIGTERM.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [name = 'server', port = '0'] = process.argv.slice(2);
if (process.env.ES_CONTRACT_REPORT_DIR)
  appendFileSync(join(process.env.ES_CONTRACT_REPORT_DIR, 'starts.log'), `${name} pid=${process.pid}\n`);
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      name,
      pid: process.pid,
      mark: process.env.MARK ?? null,
      sharedUrl: process.env.SHARED_URL ?? null,
    }),
  );
});
server.listen(Number(port), '127.0.0.1', () =>
  console.log(`${name} listening on http://127.0.0.1:${server.address().port}`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
