#!/usr/bin/env node
// Page tests in a real browser (Debian's chromium, /usr/bin/chromium; .ci/run installs it): runs
// `playwright test -c browser/playwright.config.ts` (a Vite dev server and an API server through
// defineWebServers), then checks that nothing is left: no process that inherited this run's marker
// (the launchers, Vite, the API server, chromium), nothing listening on the servers' ports, no run
// directory. Not part of npm test (see .ci/run). Exits 0 when all held.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
if (!existsSync('/usr/bin/chromium')) {
  console.error('browser-driver: /usr/bin/chromium is missing: apt-get install -y chromium (.ci/run does)');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'es-browser-'));
const runTmp = join(dir, 'tmp');
const portsFile = join(dir, 'ports.json');
const marker = `ES_BROWSER_RUN=${dir}`;
spawnSync('mkdir', [runTmp]);
const startedAt = performance.now();
const result = spawnSync(
  process.execPath,
  [join(here, 'node_modules/@playwright/test/cli.js'), 'test', '-c', 'browser/playwright.config.ts'],
  {
    cwd: here,
    env: {
      ...process.env,
      TMPDIR: runTmp,
      ES_BROWSER_RUN: dir,
      ES_BROWSER_PORTS_FILE: portsFile,
      ES_CONSUMER_CACHE_DIR: join(dir, 'cache'),
    },
    encoding: 'utf8',
  },
);
const ms = Math.round(performance.now() - startedAt);
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);

const marked = () =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return (
          !stat.split(') ')[1].startsWith('Z') &&
          readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(marker)
        );
      } catch {
        return false;
      }
    });
const listening = (port) =>
  new Promise((resolve) =>
    connect(port, '127.0.0.1')
      .once('connect', function () {
        this.destroy();
        resolve(true);
      })
      .once('error', () => resolve(false)),
  );

let left = marked();
for (const deadline = Date.now() + 2000; left.length > 0 && Date.now() < deadline; left = marked())
  await new Promise((resolve) => setTimeout(resolve, 50));
const ports = existsSync(portsFile) ? JSON.parse(readFileSync(portsFile, 'utf8')) : [];
const open = [];
for (const port of ports) if (await listening(port)) open.push(port);
const runDirs = readdirSync(runTmp).filter((name) => name.startsWith('ephemeral-servers-run-'));
const problems = [
  result.status === 0 && result.stdout.includes('1 passed')
    ? ''
    : `playwright exited ${result.status ?? result.signal}, not 0 with 1 passed`,
  left.length > 0 ? `processes left: ${left.join(', ')}` : '',
  open.length > 0 ? `ports still listening: ${open.join(', ')}` : '',
  runDirs.length > 0 ? `run directories left: ${runDirs.join(', ')}` : '',
  ports.length === 2 ? '' : `expected 2 ports in ${portsFile}, found ${ports.length}`,
].filter(Boolean);
console.log(
  `browser: playwright run ${ms} ms; ${problems.length === 0 ? 'nothing left (processes, ports, run directories)' : problems.join('; ')}`,
);
rmSync(dir, { recursive: true, force: true });
process.exit(problems.length === 0 ? 0 : 1);
