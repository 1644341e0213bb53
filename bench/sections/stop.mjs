// 2. Time to stop: a server that honours SIGTERM, one that ignores it, one with a grandchild.
// Measured from the stop call to the moment every process of the server is gone (checked in /proc);
// a process still alive 1 s after the tool's stop returned counts as left behind (then SIGKILLed).
import getPort from 'get-port';
import { floorStart } from '../lib/floor.mjs';
import { startEmptyRun, startServers } from '../lib/ours.mjs';
import { runPlaywright, runStartServerAndTest, startWithJestDevServer, startWithWaitOn } from '../lib/peers.mjs';
import { findTagged, killTagged, waitGone } from '../lib/procs.mjs';
import { SERVERS, shellCommand } from '../lib/servers.mjs';
import { sleep, summarize } from '../lib/stats.mjs';

/** Graceful-stop budget for the SIGTERM-ignoring server, for ours and the floor, in milliseconds. */
export const STOP_TIMEOUT_MS = 500;
const LEFT_AFTER_MS = 1000;

const CASES = {
  term: { label: 'honours SIGTERM', flags: [] },
  ignore: { label: `ignores SIGTERM (stopTimeoutMs ${STOP_TIMEOUT_MS})`, flags: ['--ignore-term'] },
  grandchild: { label: 'has a grandchild', flags: ['--grandchild'] },
};

/** Waits until the scenario has its expected processes (the grandchild may come a moment after ready). */
async function snapshot(tag, expected) {
  const deadline = performance.now() + 2000;
  for (;;) {
    const procs = findTagged(tag);
    if (procs.length >= expected || performance.now() > deadline) return procs.map((p) => p.pid);
    await sleep(2);
  }
}

let serial = 0;
function variants(flags) {
  const argv = (port, tag) => SERVERS.node.argv(port, tag, flags);
  return [
    {
      id: 'floor',
      label: 'bare floor: kill(-pgid, SIGTERM), SIGKILL after the budget',
      start: async (tag) => {
        const port = await getPort();
        const { child } = await floorStart(argv(port, tag), port);
        return {
          stop: async (pids) => {
            process.kill(-child.pid, 'SIGTERM');
            if ((await waitGone(pids, STOP_TIMEOUT_MS)) === undefined) {
              process.kill(-child.pid, 'SIGKILL');
              await waitGone(pids, 2000);
            }
          },
        };
      },
    },
    {
      id: 'ours',
      label: 'ephemeral-servers handle.stop()',
      start: async (tag, { stateFile }) => {
        const handle = await startServers(
          { [`stop${++serial}`]: { command: argv('{port}', tag), readiness: 'tcp', stopTimeoutMs: STOP_TIMEOUT_MS } },
          { stateFile, exportEnv: false },
        );
        return { stop: () => handle.stop() };
      },
    },
    {
      id: 'wait-on',
      label: 'hand-rolled (wait-on): child.kill()',
      start: async (tag) => {
        const port = await getPort();
        return startWithWaitOn(argv(port, tag), port);
      },
    },
    {
      id: 'jest-dev-server',
      label: 'jest-dev-server teardown()',
      start: async (tag) => {
        const port = await getPort();
        return startWithJestDevServer(shellCommand(argv(port, tag)), port);
      },
    },
  ];
}

export async function benchStop({ rounds, heavyRounds, log }) {
  const results = new Map();
  const record = (key, value) => {
    if (!results.has(key)) results.set(key, { ms: [], returnedMs: [], left: 0, runs: 0 });
    const r = results.get(key);
    r.runs++;
    if (value.ms !== undefined) r.ms.push(value.ms);
    if (value.returnedMs !== undefined) r.returnedMs.push(value.returnedMs);
    r.left += value.left ?? 0;
  };
  const owner = await startEmptyRun();
  const ctx = { stateFile: owner.run.stateFile };
  const tag = `es-bench-stop-${process.pid}`;
  try {
    for (const [caseId, c] of Object.entries(CASES)) {
      const expected = caseId === 'grandchild' ? 2 : 1;
      const list = variants(c.flags);
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < list.length; i++) {
          const v = list[(i + round) % list.length];
          const started = await v.start(tag, ctx);
          const pids = await snapshot(tag, expected);
          const t0 = performance.now();
          await started.stop(pids);
          const returnedMs = performance.now() - t0;
          const gone = await waitGone(pids, LEFT_AFTER_MS);
          const left = gone === undefined ? findTagged(tag).length : 0;
          record(`${caseId}:${v.id}`, {
            ms: gone === undefined ? undefined : performance.now() - t0,
            returnedMs,
            left,
          });
          await killTagged(tag);
        }
      }
      // start-server-and-test and Playwright run as whole CLIs: start-server-and-test's stop runs from the test's
      // end to the CLI's exit; Playwright's from its log (DEBUG=pw:webserver); then leftovers are counted in /proc.
      for (let round = 0; round < heavyRounds; round++) {
        const port = await getPort();
        const command = shellCommand(SERVERS.node.argv(port, tag, c.flags));
        const ssat = await runStartServerAndTest(command, `http://127.0.0.1:${port}`);
        const left =
          (await waitGone(
            findTagged(tag).map((p) => p.pid),
            LEFT_AFTER_MS,
          )) === undefined
            ? findTagged(tag).length
            : 0;
        record(`${caseId}:start-server-and-test`, {
          returnedMs: ssat.afterTestMs,
          ms: left ? undefined : ssat.afterTestMs,
          left,
        });
        await killTagged(tag);
        const pwPort = await getPort();
        const pw = await runPlaywright({
          command: shellCommand(SERVERS.node.argv(pwPort, tag, c.flags)),
          url: `http://127.0.0.1:${pwPort}`,
        });
        const pwLeft =
          (await waitGone(
            findTagged(tag).map((p) => p.pid),
            LEFT_AFTER_MS,
          )) === undefined
            ? findTagged(tag).length
            : 0;
        // Playwright's own log: "Terminating the WebServer" → "Terminated the WebServer".
        record(`${caseId}:playwright`, {
          returnedMs: pw.webServerStopMs,
          ms: pwLeft ? undefined : pw.webServerStopMs,
          left: pwLeft,
        });
        await killTagged(tag);
      }
      log(`  stop: ${caseId} done`);
    }
  } finally {
    await owner.teardown();
    await killTagged(tag);
  }

  const labels = {
    ...Object.fromEntries(variants([]).map((v) => [v.id, v.label])),
    'start-server-and-test': 'start-server-and-test (test end → CLI exit)',
    playwright: 'Playwright webServer (its DEBUG=pw:webserver log: terminating → terminated)',
  };
  const rows = [];
  for (const [caseId, c] of Object.entries(CASES)) {
    const floor = summarize(results.get(`${caseId}:floor`)?.ms ?? []);
    for (const id of Object.keys(labels)) {
      const r = results.get(`${caseId}:${id}`);
      if (!r) continue;
      const s = summarize(r.ms);
      rows.push({
        server: c.label,
        id,
        label: labels[id],
        ...s,
        returned: summarize(r.returnedMs),
        overMs: s.median - floor.median,
        runs: r.runs,
        stopped: r.ms.length,
        left: r.left,
      });
    }
  }
  return { rows };
}
