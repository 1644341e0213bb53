#!/usr/bin/env node
// The failure scenario's command server: binds the port it is given, prints what it is asked to
// (GET /say?text=…, so a test can leave a line of its own in the log), answers GET /pid with its pid
// (so a test can SIGKILL it) and GET /info for the readiness probe, and exits on SIGTERM. Each start
// appends `<name> pid=<pid>` to starts.log in the harness's report directory.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const [name = 'server', port = '0'] = process.argv.slice(2);
if (process.env.ES_CONTRACT_REPORT_DIR)
  appendFileSync(join(process.env.ES_CONTRACT_REPORT_DIR, 'starts.log'), `${name} pid=${process.pid}\n`);
console.log(`${name} starting: pid ${process.pid}`);
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/say') console.log(`${name} says: ${url.searchParams.get('text')}`);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ name, pid: process.pid }));
});
server.listen(Number(port), '127.0.0.1', () =>
  console.log(`${name} listening on http://127.0.0.1:${server.address().port}`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
