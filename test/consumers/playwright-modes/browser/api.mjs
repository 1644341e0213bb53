#!/usr/bin/env node
// The page test's API server: GET /hello answers JSON to any origin (the page, served by Vite on
// another port, fetches it), and exits on SIGTERM.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? '0');
const server = createServer((req, res) => {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ hello: 'from the api', path: req.url, pid: process.pid }));
});
server.listen(port, '127.0.0.1', () => console.log(`api listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
