// The bare floor of a state update, as a process of its own (like the supervisor): a Unix socket server
// that answers each line with one line, after an atomic replace of a file (write a temp file, rename it
// over the target) of the size last given on stdin. No parsing, no validation, no batching: one rename
// per line received. argv: <socketPath> <targetFile>. stdin: a size in bytes per line, acknowledged by
// "size <n>" on stdout; stdout: "listening" once it accepts.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

const [socketPath, target] = process.argv.slice(2);
const REPLY = '{"id":0,"ok":true,"result":null}\n';
let content = Buffer.alloc(0);
let counter = 0;

function replaceTarget() {
  const temp = `${target}.${process.pid}.${counter++}`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, target);
}

const server = createServer((socket) => {
  socket.on('data', (chunk) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
      replaceTarget();
      socket.write(REPLY);
    }
  });
  socket.on('error', () => undefined); // a writer that exits mid-line is not the floor's concern
});
server.listen(socketPath, () => process.stdout.write('listening\n'));
createInterface({ input: process.stdin })
  .on('line', (line) => {
    content = Buffer.alloc(Number(line), 'x');
    process.stdout.write(`size ${content.length}\n`);
  })
  .once('close', () => {
    server.close();
    rmSync(socketPath, { force: true });
    process.exit(0);
  });
