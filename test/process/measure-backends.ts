/**
 * Figures for docs/benchmarks.md ("Platform backends"): readiness and teardown of a command server with
 * the procfs backend next to the posix backend, and the cost of each platform question. Not a test:
 * run it by hand, on a machine as quiet as you can get, and paste what it prints.
 *
 *   node --import tsx test/process/measure-backends.ts [starts per backend, default 20]
 *
 * Each backend runs in a process of its own (the backend is chosen once per process), alternating
 * procfs, posix, procfs, posix in rounds of half the starts, so that a change in the machine's load
 * falls on both. One run (one supervisor) per backend process, joined by every start, as a test
 * worker does. Start: `startServers` called until it resolves (spawned, tcp probe passed). Stop:
 * `handle.stop()` called until it resolves, and until every process of the server is gone (polled in
 * /proc every 1 ms). Servers: test/fixtures/server.mjs (node:http), alone and with a grandchild in its
 * process group.
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isLive } from '../helpers/processes.js';

const SELF = fileURLToPath(import.meta.url);
const SERVER = fileURLToPath(new URL('../fixtures/server.mjs', import.meta.url));

interface Sample {
  readyMs: number;
  stopReturnedMs: number;
  allGoneMs: number;
}
interface ChildReport {
  backend: string;
  plain: Sample[];
  grandchild: Sample[];
  /** Question → milliseconds per call, each call timed. */
  calls: Record<string, number[]>;
}

async function measureInChild(starts: number): Promise<ChildReport> {
  const { startRun, startServers } = await import('../../src/index.js');
  const { readStateSync } = await import('../../src/state/index.js');
  const identity = await import('../../src/process/process-identity.js');
  const { findMarkedProcesses } = await import('../../src/process/marked-processes.js');
  const { findPortHolder } = await import('../../src/ports/find-port-holder.js');
  const { platformBackend } = await import('../../src/platform/select-backend.js');
  const owner = await startRun({
    config: { idle: { command: ['node', 'unused.js'], scope: 'worker' } },
    sweep: false,
    exportEnv: false,
  });
  const stateFile = owner.run.stateFile;
  const once = async (grandchild: boolean): Promise<Sample> => {
    const command = ['node', SERVER, '--port', '{port}', ...(grandchild ? ['--grandchild'] : [])];
    const t0 = performance.now();
    const handle = await startServers({ api: { command } }, { stateFile, exportEnv: false });
    const readyMs = performance.now() - t0;
    const entry = readStateSync(stateFile).servers['api@0']!;
    const members = identity.listProcessGroup(entry.pgid!);
    const t1 = performance.now();
    await handle.stop();
    const stopReturnedMs = performance.now() - t1;
    while (members.some(isLive)) await new Promise((resolve) => setTimeout(resolve, 1));
    return { readyMs, stopReturnedMs, allGoneMs: performance.now() - t1 };
  };
  const plain: Sample[] = [];
  const withGrandchild: Sample[] = [];
  for (let i = 0; i < starts; i++) {
    plain.push(await once(false));
    withGrandchild.push(await once(true));
  }
  // The questions themselves, about a live server and a listening port.
  const handle = await startServers(
    { api: { command: ['node', SERVER, '--port', '{port}'] } },
    { stateFile, exportEnv: false },
  );
  const entry = readStateSync(stateFile).servers['api@0']!;
  const calls: Record<string, number[]> = {};
  const time = async (name: string, n: number, call: () => unknown): Promise<void> => {
    calls[name] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await call();
      calls[name].push(performance.now() - t);
    }
  };
  await time('start time of a pid (`readProcessStartTime`)', 20, () => identity.readProcessStartTime(entry.pid));
  await time('identity of a pid (`checkProcessIdentity`)', 20, () =>
    identity.checkProcessIdentity(entry.pid, entry.startTime),
  );
  await time('reader check (`hasProcessEnded`, every getEndpoint)', 20, () =>
    identity.hasProcessEnded(entry.pid, entry.startTime),
  );
  await time('group alive, leader running (`isProcessGroupAlive`)', 20, () =>
    identity.isProcessGroupAlive(entry.pgid!),
  );
  await time('members of a group (`listProcessGroup`)', 20, () => identity.listProcessGroup(entry.pgid!));
  await time("marked processes of the run (every stop's scan)", 10, () =>
    findMarkedProcesses({ runId: owner.run.runId }),
  );
  await time('holder of a listening port (`findPortHolder`)', 10, () => findPortHolder(entry.endpoint.port));
  await handle.stop();
  await owner.teardown();
  return { backend: platformBackend().kind, plain, grandchild: withGrandchild, calls };
}

function summary(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `${at(0.5).toFixed(1)} (${sorted[0]!.toFixed(1)}–${sorted.at(-1)!.toFixed(1)}; p90 ${at(0.9).toFixed(1)})`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    process.stdout.write(`${JSON.stringify(await measureInChild(Number(process.argv[3])))}\n`);
    return;
  }
  const starts = Number(process.argv[2] ?? 20);
  const half = Math.ceil(starts / 2);
  const run = promisify(execFile);
  const reports: Record<string, ChildReport[]> = { procfs: [], posix: [] };
  const loads: number[] = [];
  for (let round = 0; round < 2; round++) {
    for (const [backend, setting] of [
      ['procfs', ''],
      ['posix', '0'],
    ] as const) {
      loads.push(loadavg()[0]!);
      const { stdout } = await run(process.execPath, ['--import', 'tsx', SELF, '--child', String(half)], {
        env: { ...process.env, EPHEMERAL_SERVERS_PROCFS: setting, EPHEMERAL_SERVERS_STATE: undefined },
        maxBuffer: 64 * 1024 * 1024,
      });
      const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as ChildReport;
      if (report.backend !== backend) throw new Error(`asked for ${backend}, measured ${report.backend}`);
      reports[backend]!.push(report);
    }
  }
  const all = (backend: string, pick: (report: ChildReport) => Sample[], field: keyof Sample): number[] =>
    reports[backend]!.flatMap((report) => pick(report).map((sample) => sample[field]));
  const lines = [
    `${2 * half} starts per backend, in 2 rounds of ${half}; 1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${(await import('node:os')).cpus().length} cores; ms: median (min–max; p90)`,
    '',
    '| Server | Measure | procfs | posix |',
    '| --- | --- | --- | --- |',
  ];
  for (const [label, pick] of [
    ['node:http', (r: ChildReport) => r.plain],
    ['node:http + grandchild', (r: ChildReport) => r.grandchild],
  ] as const) {
    for (const [field, measure] of [
      ['readyMs', 'start → ready'],
      ['stopReturnedMs', 'stop() returned'],
      ['allGoneMs', 'stop → all processes gone'],
    ] as const) {
      lines.push(
        `| ${label} | ${measure} | ${summary(all('procfs', pick, field))} | ${summary(all('posix', pick, field))} |`,
      );
    }
  }
  lines.push('', '| Question (one call) | procfs | posix |', '| --- | --- | --- |');
  for (const name of Object.keys(reports.procfs![0]!.calls)) {
    const calls = (backend: string): number[] => reports[backend]!.flatMap((report) => report.calls[name]!);
    lines.push(`| ${name} | ${summary(calls('procfs'))} | ${summary(calls('posix'))} |`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
