#!/usr/bin/env node
// The contract's command server: binds the port it is given (0 = the kernel picks, then announced),
// answers GET /info with JSON describing itself, and exits on SIGTERM. Each start appends
// `<name> pid=<pid>` to starts.log in the harness's report directory, so the harness counts starts.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [name = 'server', port = '0'] = process.argv.slice(2);
if (process.env.ES_CONTRACT_REPORT_DIR)
  appendFileSync(join(process.env.ES_CONTRACT_REPORT_DIR, 'starts.log'), `${name} pid=${process.pid}\n`);
const server = createServer((req, res) => {
  if (req.url !== '/info') {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({ name, pid: process.pid, port: server.address().port, sharedUrl: process.env.SHARED_URL ?? null }),
  );
});
server.listen(Number(port), '127.0.0.1', () =>
  console.log(`${name} listening on http://127.0.0.1:${server.address().port}`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
