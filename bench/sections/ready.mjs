// 1. Time to ready for one command server: bare floor, ours (tcp, http, log probes), peers.
import getPort from 'get-port';
import { floorStart } from '../lib/floor.mjs';
import { startEmptyRun, startServers } from '../lib/ours.mjs';
import { runPlaywright, runStartServerAndTest, startWithJestDevServer, startWithWaitOn } from '../lib/peers.mjs';
import { killTagged } from '../lib/procs.mjs';
import { SERVERS, shellCommand } from '../lib/servers.mjs';
import { summarize } from '../lib/stats.mjs';

let serial = 0;
/**
 * Ours: startServers joining an existing run (what a worker does), or creating its own. Every start
 * gets a new server name: a name restarted in the same run appends to the same log file, and the log
 * probe would match the previous instance's line (see the README, "Known problems found").
 * The log probe runs on an allocated port (like tcp and http), so the three probes differ only in the probe.
 */
async function startOurs(kind, probe, tag, stateFile) {
  const server = SERVERS[kind];
  const spec = {
    command: server.argv('{port}', tag),
    env: server.env(tag),
    readiness: probe === 'log' ? server.logPattern : probe,
  };
  const name = `s${++serial}`;
  const t0 = performance.now();
  const handle = await startServers(
    { [name]: spec },
    stateFile ? { stateFile, exportEnv: false } : { exportEnv: false },
  );
  return { ms: performance.now() - t0, stop: () => handle.stop() };
}

function variants(kind) {
  const server = SERVERS[kind];
  const withPort = async (fn) => {
    const port = await getPort();
    return fn(port);
  };
  return [
    {
      id: 'floor',
      label: 'bare floor: spawn + TCP connect every 1 ms',
      start: (tag) =>
        withPort(async (port) => {
          const { child, ms } = await floorStart(server.argv(port, tag), port, {
            env: { ...process.env, ...server.env(tag) },
          });
          const exited = new Promise((resolve) => child.once('exit', resolve));
          return { ms, stop: async () => (process.kill(-child.pid, 'SIGKILL'), await exited) };
        }),
    },
    {
      id: 'ours-tcp',
      label: 'ephemeral-servers, tcp probe',
      start: (tag, ctx) => startOurs(kind, 'tcp', tag, ctx.stateFile),
    },
    {
      id: 'ours-http',
      label: 'ephemeral-servers, http probe',
      start: (tag, ctx) => startOurs(kind, 'http', tag, ctx.stateFile),
    },
    {
      id: 'ours-log',
      label: 'ephemeral-servers, log probe',
      start: (tag, ctx) => startOurs(kind, 'log', tag, ctx.stateFile),
    },
    {
      id: 'ours-tcp-standalone',
      label: 'ephemeral-servers, tcp probe, new run per start',
      start: (tag) => startOurs(kind, 'tcp', tag, undefined),
    },
    {
      id: 'wait-on',
      label: 'spawn + wait-on (defaults, tcp:)',
      start: (tag) => withPort((port) => startWithWaitOn(server.argv(port, tag), port, server.env(tag))),
    },
    {
      id: 'jest-dev-server',
      label: 'jest-dev-server setup()',
      start: (tag) =>
        withPort((port) => startWithJestDevServer(shellCommand(server.argv(port, tag)), port, server.env(tag))),
    },
    {
      id: 'start-server-and-test',
      label: 'start-server-and-test (to test command start)',
      heavy: true,
      start: (tag) =>
        withPort(async (port) => {
          const result = await runStartServerAndTest(
            shellCommand(server.argv(port, tag), server.env(tag)),
            `http://127.0.0.1:${port}`,
          );
          return { ms: result.readyMs, stop: async () => {} };
        }),
    },
  ];
}

/**
 * @returns {Promise<{ rows: object[] }>} one row per server kind and variant: summary of ms, and the
 *   ratio of medians to the floor of the same run.
 */
export async function benchReady({ rounds, heavyRounds, playwrightRounds, log }) {
  const samples = new Map();
  const add = (key, ms) => {
    if (!samples.has(key)) samples.set(key, []);
    samples.get(key).push(ms);
  };
  const owner = await startEmptyRun();
  const ctx = { stateFile: owner.run.stateFile };
  const tag = `es-bench-ready-${process.pid}`;
  try {
    for (const kind of Object.keys(SERVERS)) {
      const list = variants(kind);
      // Warm-up: one start of each light variant, not recorded (module loading, page cache).
      for (const v of list.filter((v) => !v.heavy)) await (await v.start(tag, ctx)).stop();
      for (let round = 0; round < rounds; round++) {
        // Rotate the order so no variant always runs right after the same other one.
        const order = list.map((_, i) => list[(i + round) % list.length]);
        for (const v of order) {
          if (v.heavy && round >= heavyRounds) continue;
          const started = await v.start(tag, ctx);
          add(`${kind}:${v.id}`, started.ms);
          await started.stop();
          await killTagged(tag);
        }
      }
      log(`  ready: ${kind} done`);
    }
    // Playwright Test: webServer's time to ready from its own DEBUG=pw:webserver log; whole runs with and
    // without a webServer for context.
    for (let round = 0; round < playwrightRounds; round++) {
      const without = await runPlaywright();
      add('playwright:without', without.totalMs);
      add('playwright:without-ready', without.readyMs);
      for (const kind of Object.keys(SERVERS)) {
        const server = SERVERS[kind];
        const port = await getPort();
        const result = await runPlaywright({
          command: shellCommand(server.argv(port, tag), server.env(tag)),
          url: `http://127.0.0.1:${port}`,
        });
        add(`playwright:${kind}:total`, result.totalMs);
        add(`playwright:${kind}:ready`, result.readyMs);
        add(`playwright:${kind}:webserver`, result.webServerReadyMs);
        await killTagged(tag);
      }
    }
    log('  ready: playwright done');
  } finally {
    await owner.teardown();
    await killTagged(tag);
  }

  const rows = [];
  for (const kind of Object.keys(SERVERS)) {
    const floor = summarize(samples.get(`${kind}:floor`));
    for (const v of variants(kind)) {
      const s = summarize(samples.get(`${kind}:${v.id}`) ?? []);
      rows.push({
        server: SERVERS[kind].label,
        id: v.id,
        label: v.label,
        ...s,
        overMs: s.median - floor.median,
        ratio: s.median / floor.median,
      });
    }
    // Playwright: from its log's "Starting WebServer process" to "WebServer available".
    const webServer = summarize(samples.get(`playwright:${kind}:webserver`) ?? []);
    rows.push({
      server: SERVERS[kind].label,
      id: 'playwright-webserver',
      label: 'Playwright webServer (its DEBUG=pw:webserver log: starting → available)',
      ...webServer,
      overMs: webServer.median - floor.median,
      ratio: webServer.median / floor.median,
      playwright: {
        withReady: summarize(samples.get(`playwright:${kind}:ready`) ?? []),
        withoutReady: summarize(samples.get('playwright:without-ready') ?? []),
        withTotal: summarize(samples.get(`playwright:${kind}:total`) ?? []),
        withoutTotal: summarize(samples.get('playwright:without') ?? []),
      },
    });
  }
  return { rows };
}
