import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_DIR_PREFIX } from '../../src/run/run-dir.js';
import { isLive, pidsInLog, waitUntilGone } from '../helpers/processes.js';
import { runCli, SERVER_SCRIPT, startCli, type RunningCli } from './run-cli.js';

let dir: string;
/** The CLI's os.tmpdir(): its run directories land here, so "nothing left" is checkable. */
let runsDir: string;
let pidFile: string;
const started: RunningCli[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-cli-'));
  runsDir = join(dir, 'tmp');
  pidFile = join(dir, 'pids.txt');
  await mkdir(runsDir);
});
afterEach(async () => {
  for (const cli of started.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) process.kill(-cli.child.pid!, 'SIGKILL');
  }
  // A CLI killed above leaves its servers to its supervisor, whose run directory is under `dir`:
  // wait for them to go before removing it (after a failed test, they would otherwise be orphaned).
  const pids = existsSync(pidFile)
    ? [...readFileSync(pidFile, 'utf8').matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]))
    : [];
  for (const pid of await waitUntilGone(pids, 5000)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const env = (): NodeJS.ProcessEnv => ({ TMPDIR: runsDir });

/** Writes servers.config.mjs: `api` (tcp probe) and `my-web` (http probe, after api), both logging their pid. */
async function writeConfig(extra: { apiArgs?: string[] } = {}): Promise<void> {
  const server = (name: string, ...args: string[]) => [
    'node',
    SERVER_SCRIPT,
    '--port',
    '{port}',
    '--name',
    name,
    '--pid-file',
    pidFile,
    ...args,
  ];
  const config = {
    api: { command: server('api', ...(extra.apiArgs ?? [])), startTimeoutMs: 20_000 },
    'my-web': {
      command: server('web', '--env-echo', 'UPSTREAM'),
      env: { UPSTREAM: '{api.url}' },
      dependsOn: ['api'],
      readiness: 'http',
    },
    perworker: { command: server('perworker'), scope: 'worker' },
  };
  await writeFile(join(dir, 'servers.config.mjs'), `export default ${JSON.stringify(config, null, 2)};\n`);
}

function serverPids(): number[] {
  return existsSync(pidFile) ? [...pidsInLog(pidFile, 'api'), ...pidsInLog(pidFile, 'web')] : [];
}

/** Nothing left: every server process gone and no run directory left. */
async function expectNothingLeft(): Promise<void> {
  expect(await waitUntilGone(serverPids(), 5000)).toEqual([]);
  // (The port reservation directory, ephemeral-servers-ports-<uid>, is meant to stay.)
  expect((await readdir(runsDir)).filter((name) => name.startsWith(RUN_DIR_PREFIX))).toEqual([]);
}

/** A node one-liner as a command. */
const nodeEval = (code: string): string[] => ['node', '-e', code];

describe('ephemeral-servers run', () => {
  it('exports the state file and <NAME>_URL/_HOST/_PORT, and the command reaches the servers', async () => {
    await writeConfig();
    const result = await runCli(
      [
        'run',
        '--',
        ...nodeEval(`
          const pick = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(API|MY_WEB|PERWORKER)_|^EPHEMERAL_SERVERS_STATE$/.test(k)));
          fetch(process.env.MY_WEB_URL + '/env').then((r) => r.text()).then((upstream) => console.log(JSON.stringify({ ...pick, upstream })));
        `),
      ],
      { cwd: dir, env: env() },
    );
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    const seen = JSON.parse(result.stdout) as Record<string, string>;
    expect(seen.EPHEMERAL_SERVERS_STATE).toMatch(new RegExp(`^${runsDir}/ephemeral-servers-run-.*/state\\.json$`));
    expect(seen.API_URL).toBe(`http://127.0.0.1:${seen.API_PORT}`);
    expect(seen.API_HOST).toBe('127.0.0.1');
    expect(seen.MY_WEB_URL).toBe(`http://${seen.MY_WEB_HOST}:${seen.MY_WEB_PORT}`);
    // my-web got api's URL through its placeholder, and answered the command.
    expect(seen.upstream).toBe(seen.API_URL);
    // Worker-scoped servers are not started by `run` (test workers start them from the state file).
    expect(seen).not.toHaveProperty('PERWORKER_URL');
    // Plain progress lines (stderr is not a terminal here).
    expect(result.stderr).toMatch(/ephemeral-servers: api\s+ready in \d+(\.\d+)? m?s {2}http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stderr).not.toContain('\x1b[');
    await expectNothingLeft();
  });

  it("exits with the command's exit code and stops everything", async () => {
    await writeConfig();
    const result = await runCli(['run', '--', ...nodeEval('process.exit(7)')], { cwd: dir, env: env() });
    expect(result.code).toBe(7);
    expect(serverPids()).toHaveLength(2);
    await expectNothingLeft();
  });

  it('dies of the signal that killed the command', async () => {
    await writeConfig();
    const result = await runCli(['run', '--', ...nodeEval("process.kill(process.pid, 'SIGTERM')")], {
      cwd: dir,
      env: env(),
    });
    expect(result.signal).toBe('SIGTERM');
    await expectNothingLeft();
  });

  it('passes options after -- to the command untouched, without a shell', async () => {
    await writeConfig();
    await writeFile(join(dir, 'print-argv.mjs'), 'console.log(JSON.stringify(process.argv.slice(2)));\n');
    const result = await runCli(['run', '--', 'node', 'print-argv.mjs', '--', '--config', '$HOME', '*'], {
      cwd: dir,
      env: env(),
    });
    expect(JSON.parse(result.stdout)).toEqual(['--', '--config', '$HOME', '*']);
    await expectNothingLeft();
  });

  it('SIGINT while the command runs: forwarded to it, servers stopped, its exit code mirrored', async () => {
    await writeConfig();
    const cli = startCli(
      [
        'run',
        '--',
        ...nodeEval(
          `process.on('SIGINT', () => { console.log('command got SIGINT'); process.exit(130); }); console.log('command ready'); setInterval(() => {}, 1000);`,
        ),
      ],
      { cwd: dir, env: env() },
    );
    started.push(cli);
    await cli.waitFor('command ready', 'stdout');
    const pids = serverPids();
    expect(pids.filter(isLive)).toHaveLength(2);
    process.kill(cli.child.pid!, 'SIGINT');
    const result = await cli.done;
    expect(result.stdout).toContain('command got SIGINT');
    expect(result.code).toBe(130);
    await expectNothingLeft();
  });

  it('SIGINT while servers start: the start is cut short and the CLI dies of SIGINT, leaving nothing', async () => {
    // api never listens: without the signal the start would wait the whole 20 s startTimeoutMs.
    await writeConfig({ apiArgs: ['--no-listen'] });
    const cli = startCli(['run', '--', ...nodeEval("console.log('command ran')")], { cwd: dir, env: env() });
    started.push(cli);
    await cli.waitFor(/api\s+starting/, 'stderr');
    // Spawned and recorded; wait until it has booted too, so the test knows its pid.
    while (serverPids().length === 0) await sleep(10);
    process.kill(cli.child.pid!, 'SIGINT');
    const result = await cli.done;
    expect(result.signal).toBe('SIGINT');
    expect(result.stdout).not.toContain('command ran');
    expect(serverPids()).toHaveLength(1);
    await expectNothingLeft();
  });

  it('a command that does not exist: exit code 127; one that is not executable: 126; nothing left', async () => {
    await writeConfig();
    const result = await runCli(['run', '--', 'no-such-command-es'], { cwd: dir, env: env() });
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('cannot run `no-such-command-es`: command not found');
    await expectNothingLeft();
    // Not executable: 126, as a shell says (no run-scoped server here: nothing to start first).
    await writeFile(
      join(dir, 'servers.config.mjs'),
      `export default ${JSON.stringify({ w: { command: ['x'], scope: 'worker' } })};\n`,
    );
    await writeFile(join(dir, 'not-executable.sh'), '#!/bin/sh\necho ran\n', { mode: 0o644 });
    const notExecutable = await runCli(['run', '--', './not-executable.sh'], { cwd: dir, env: env() });
    expect({ code: notExecutable.code, stdout: notExecutable.stdout }).toEqual({ code: 126, stdout: '' });
    expect(notExecutable.stderr).toContain('cannot run `./not-executable.sh`');
    await expectNothingLeft();
  });

  it('SIGTERM while servers stop after the command exited: the teardown finishes (stopTimeoutMs, then SIGKILL), then the CLI dies of SIGTERM', async () => {
    const stopRecord = join(dir, 'stops.log');
    const config = {
      api: {
        command: [
          'node',
          SERVER_SCRIPT,
          '--port',
          '{port}',
          '--name',
          'api',
          '--pid-file',
          pidFile,
          '--ignore-sigterm',
          '--record',
          stopRecord,
        ],
        stopTimeoutMs: 1500,
      },
    };
    await writeFile(join(dir, 'servers.config.mjs'), `export default ${JSON.stringify(config)};\n`);
    const commandPidFile = join(dir, 'command.pid');
    const cli = startCli(
      ['run', '--', ...nodeEval(`require('fs').writeFileSync(${JSON.stringify(commandPidFile)}, String(process.pid))`)],
      { cwd: dir, env: env() },
    );
    started.push(cli);
    while (!existsSync(commandPidFile) || readFileSync(commandPidFile, 'utf8') === '') await sleep(10);
    // The command is gone: the CLI is stopping api, which ignores SIGTERM and so takes its whole 1500 ms.
    expect(await waitUntilGone([Number(readFileSync(commandPidFile, 'utf8'))], 5000)).toEqual([]);
    // …once the CLI has noticed: api got its SIGTERM. (A signal that lands while the command is exiting,
    // before the CLI has reaped it, is forwarded to the exiting command and the command's status stands.)
    while (!existsSync(stopRecord) || !readFileSync(stopRecord, 'utf8').includes('api')) await sleep(10);
    const signalledAt = performance.now();
    process.kill(cli.child.pid!, 'SIGTERM');
    const result = await cli.done;
    const elapsedMs = performance.now() - signalledAt;
    console.log(
      `SIGTERM during the teardown: the CLI ended ${Math.round(elapsedMs)} ms later (api's stopTimeoutMs 1500)`,
    );
    expect({ code: result.code, signal: result.signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(result.stderr).not.toContain('error');
    await expectNothingLeft();
  });

  it('two servers with the same environment prefix: ES_CONFIG_INVALID naming both, exit code 1, nothing started', async () => {
    await writeFile(
      join(dir, 'servers.config.mjs'),
      `export default ${JSON.stringify({ 'my-web': { command: ['x'] }, my_web: { command: ['x'] } })};\n`,
    );
    const result = await runCli(['run', '--', 'true'], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('server "my_web": maps to the environment prefix MY_WEB_');
    expect(result.stderr).toContain('as server "my-web" does');
    expect(result.stderr).toContain('[ES_CONFIG_INVALID]');
    expect(result.stderr).not.toContain('    at ');
  });

  it('no config: ES_CONFIG_INVALID naming where it looked, exit code 1', async () => {
    const result = await runCli(['run', '--', 'true'], { cwd: dir, env: env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no servers config found in');
    expect(result.stderr).toContain('[ES_CONFIG_INVALID]');
    const explicit = await runCli(['run', '--config', 'missing.config.ts', '--', 'true'], { cwd: dir, env: env() });
    expect(explicit.code).toBe(1);
    expect(explicit.stderr).toContain(`config file ${join(dir, 'missing.config.ts')} does not exist`);
  });
});

describe('ephemeral-servers run around a test runner: the runner joins the run', () => {
  const dist = new URL('../../dist/index.js', import.meta.url).href;
  /** `<label> pid=` lines of the pid file, by label: every start of a server counts once. */
  const startsOf = (label: string): number[] => (existsSync(pidFile) ? pidsInLog(pidFile, label) : []);

  it('each run-scoped server starts once, worker-scoped ones once per slot; the runner exit code passes through; nothing left', async () => {
    await writeConfig();
    // What a globalSetup and its workers do: startRun, then worker-scoped servers per slot handed over to the run.
    const solo = ['node', SERVER_SCRIPT, '--port', '{port}', '--name', 'solo', '--pid-file', pidFile];
    const child = `import { startRun } from ${JSON.stringify(dist)};
const owner = await startRun({ config: { solo: { command: ${JSON.stringify(solo)} } }, sweep: false });
console.log(JSON.stringify({ joined: owner.joined, stateFile: owner.run.stateFile }));
await owner.teardown();`;
    await writeFile(
      join(dir, 'runner.mjs'),
      `import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startRun, startServers } from ${JSON.stringify(dist)};
// The state file as any process reads it: plain JSON (its schema is not part of the public API).
const readState = (path) => JSON.parse(readFileSync(path, 'utf8'));
const owner = await startRun();
const invitationLeft = process.env.EPHEMERAL_SERVERS_JOIN ?? null;
for (const slot of [1, 2]) {
  const handle = await startServers(owner.config, { scope: 'worker', slot, exportEnv: false });
  await handle.detach();
}
const during = Object.keys(readState(owner.run.stateFile).servers).sort();
// A process started below the runner (a worker, a test calling startRun itself) is not invited.
const below = spawnSync(process.execPath, ['--input-type=module', '-e', ${JSON.stringify(child)}], { encoding: 'utf8' });
await owner.teardown();
const after = Object.keys(readState(owner.run.stateFile).servers).sort();
console.log('REPORT=' + JSON.stringify({
  joined: owner.joined, stateFile: owner.run.stateFile, stateEnv: process.env.EPHEMERAL_SERVERS_STATE, apiUrl: owner.endpoints.api?.url,
  apiEnv: process.env.API_URL, readyMs: owner.readyMs, invitationLeft, during, after, below: below.stdout, belowErr: below.stderr,
}));
process.exit(3);
`,
    );
    const startedAt = performance.now();
    const result = await runCli(['run', '--', 'node', 'runner.mjs'], { cwd: dir, env: env() });
    const ms = Math.round(performance.now() - startedAt);
    expect(result.code, result.stderr).toBe(3);
    const report = JSON.parse(/REPORT=(.*)/.exec(result.stdout)![1]!) as Record<string, unknown>;
    expect(report).toMatchObject({
      joined: true,
      invitationLeft: null,
      readyMs: { api: 0, 'my-web': 0 },
      belowErr: '',
    });
    expect(report.stateFile).toBe(report.stateEnv);
    expect(report.apiUrl).toBe(report.apiEnv);
    expect(report.during).toEqual(['api@0', 'my-web@0', 'perworker@1', 'perworker@2']);
    // The runner's teardown stopped the worker-scoped servers only: the run-scoped ones are the CLI's.
    expect(report.after).toEqual(['api@0', 'my-web@0']);
    const below = JSON.parse(report.below as string) as { joined: boolean; stateFile: string };
    expect(below.joined).toBe(false);
    expect(below.stateFile).not.toBe(report.stateFile);
    const counts = {
      api: startsOf('api').length,
      web: startsOf('web').length,
      perworker: startsOf('perworker').length,
      solo: startsOf('solo').length,
    };
    console.log(`run around a runner: starts ${JSON.stringify(counts)} in ${ms} ms`);
    expect(counts).toEqual({ api: 1, web: 1, perworker: 2, solo: 1 });
    expect(await waitUntilGone([...startsOf('perworker'), ...startsOf('solo')], 5000)).toEqual([]);
    await expectNothingLeft();
  });

  it('a runner whose config differs: RunConfigMismatchError naming the servers and fields, nothing started twice, nothing left', async () => {
    await writeConfig();
    const api = ['node', SERVER_SCRIPT, '--port', '{port}', '--name', 'api', '--pid-file', pidFile];
    const config = {
      // As the CLI's, but for its command and stopTimeoutMs.
      api: { command: [...api, '--delay-ms', '0'], startTimeoutMs: 20_000, stopTimeoutMs: 1000 },
      // Not in the CLI's config; and the CLI's my-web is not in this one.
      cache: { command: ['node', SERVER_SCRIPT, '--port', '{port}', '--name', 'cache', '--pid-file', pidFile] },
      perworker: {
        command: ['node', SERVER_SCRIPT, '--port', '{port}', '--name', 'perworker', '--pid-file', pidFile],
        scope: 'worker',
      },
    };
    await writeFile(
      join(dir, 'runner.mjs'),
      `import { startRun } from ${JSON.stringify(dist)};
try {
  await startRun({ config: ${JSON.stringify(config)} });
  console.log('joined anyway');
} catch (error) {
  console.log('ERROR=' + JSON.stringify({ name: error.name, code: error.code, message: error.message, differences: error.differences }));
  process.exit(1);
}
`,
    );
    const result = await runCli(['run', '--', 'node', 'runner.mjs'], { cwd: dir, env: env() });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const error = JSON.parse(/ERROR=(.*)/.exec(result.stdout)![1]!) as {
      name: string;
      code: string;
      message: string;
      differences: unknown;
    };
    expect(error).toMatchObject({ name: 'RunConfigMismatchError', code: 'ES_RUN_CONFIG_MISMATCH' });
    expect(error.differences).toEqual([
      { server: 'api', kind: 'changed', fields: ['command', 'stopTimeoutMs'] },
      { server: 'cache', kind: 'missing', fields: [] },
      { server: 'my-web', kind: 'extra', fields: [] },
    ]);
    expect(error.message).toContain('server "api": `command`, `stopTimeoutMs` differ');
    expect(error.message).toContain(
      'server "cache": a run-scoped server of the runner\'s config that `ephemeral-servers run` did not start',
    );
    expect(error.message).toContain(
      'server "my-web": started by `ephemeral-servers run`, but not a run-scoped server of the runner\'s config',
    );
    expect(error.message).toContain('ephemeral-servers run --config <file>');
    expect({ api: startsOf('api').length, web: startsOf('web').length, cache: startsOf('cache').length }).toEqual({
      api: 1,
      web: 1,
      cache: 0,
    });
    await expectNothingLeft();
  });
});

describe('ephemeral-servers ls and logs', () => {
  it('ls --json and logs, from inside a run (EPHEMERAL_SERVERS_STATE) and from outside (--state, discovery)', async () => {
    await writeConfig();
    const cli = startCli(
      [
        'run',
        '--',
        ...nodeEval(`console.log('STATE=' + process.env.EPHEMERAL_SERVERS_STATE); setInterval(() => {}, 1000);`),
      ],
      {
        cwd: dir,
        env: env(),
      },
    );
    started.push(cli);
    await cli.waitFor(/STATE=\S+\n/, 'stdout');
    const stateFile = /STATE=(\S+)\n/.exec(cli.stdout)![1]!;

    const viaEnv = await runCli(['ls', '--json'], { cwd: dir, env: { ...env(), EPHEMERAL_SERVERS_STATE: stateFile } });
    expect(viaEnv.code).toBe(0);
    const [run] = JSON.parse(viaEnv.stdout) as {
      stateFile: string;
      owner: { pid: number; alive: boolean };
      servers: { name: string; slot: number; status: string; url: string; pid: number }[];
    }[];
    expect(run!.stateFile).toBe(stateFile);
    expect(run!.owner).toEqual({ pid: cli.child.pid, alive: true });
    expect(run!.servers.map((s) => [s.name, s.slot, s.status])).toEqual([
      ['api', 0, 'running'],
      ['my-web', 0, 'running'],
    ]);
    expect(run!.servers.map((s) => s.pid).sort()).toEqual(serverPids().sort());

    // Discovery: no state given, the live runs under the temp dir.
    const discovered = await runCli(['ls', '--json'], { cwd: dir, env: env() });
    expect((JSON.parse(discovered.stdout) as { stateFile: string }[]).map((r) => r.stateFile)).toEqual([stateFile]);
    const table = await runCli(['ls', '--state', stateFile], { cwd: dir, env: env() });
    expect(table.stdout).toMatch(/NAME\s+SLOT\s+SCOPE\s+STATUS\s+PID\s+UPTIME\s+URL/);
    expect(table.stdout).toMatch(
      new RegExp(`my-web\\s+0\\s+run\\s+running\\s+\\d+\\s+\\d+s\\s+${run!.servers[1]!.url}`),
    );

    const logs = await runCli(['logs', 'api'], { cwd: dir, env: env() });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^api booting pid=\d+\napi ready\n$/);

    const unknown = await runCli(['logs', 'nope', '--state', stateFile], { cwd: dir, env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no server "nope" in');
    expect(unknown.stderr).toContain('Known: api@0, my-web@0');
    // A bad --slot: the usage-mistakes test below (exit 2).

    // logs -f ends by itself when the run stops its server.
    const follow = startCli(['logs', '-f', 'my-web', '--state', stateFile], { cwd: dir, env: env() });
    started.push(follow);
    await follow.waitFor('web ready', 'stdout');
    process.kill(cli.child.pid!, 'SIGTERM');
    expect((await cli.done).signal).toBe('SIGTERM');
    expect((await follow.done).code).toBe(0);
    await expectNothingLeft();
  });

  it('ls of a missing state file: ES_STATE_MISSING, exit code 1; nothing running: a plain message', async () => {
    const missing = await runCli(['ls', '--state', join(dir, 'nope.json')], { cwd: dir, env: env() });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('[ES_STATE_MISSING]');
    const none = await runCli(['ls'], { cwd: dir, env: env() });
    expect(none).toMatchObject({ code: 0, stdout: 'No running ephemeral-servers runs.\n' });
    expect(await runCli(['ls', '--json'], { cwd: dir, env: env() })).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it('usage mistakes exit 2 (docs/cli.md, "Exit codes"): unknown command or option, missing argument, bad --slot, unknown server', async () => {
    const cases: [string[], string][] = [
      [['frobnicate'], "ephemeral-servers: unknown command 'frobnicate'"],
      [['ls', '--bogus'], "ephemeral-servers: unknown option '--bogus'"],
      [['logs'], "ephemeral-servers: missing required argument 'name'"],
      [
        ['logs', 'api', '--slot', 'x'],
        "ephemeral-servers: option '--slot <n>' argument 'x' is invalid. expected a non-negative integer",
      ],
      [['logs', 'api'], 'ephemeral-servers: no live run has a server "api"'],
      [['run'], "ephemeral-servers: missing required argument 'command'"],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, { cwd: dir, env: env() })));
    for (const [index, [args, text]] of cases.entries()) {
      expect({ args, code: results[index]!.code, stderr: results[index]!.stderr }).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(text),
      });
      expect(results[index]!.stderr).not.toContain('    at ');
    }
  });

  it('--help and --version exit 0', async () => {
    const help = await runCli(['--help'], { cwd: dir });
    expect(help.code).toBe(0);
    for (const command of ['run', 'ls', 'logs']) expect(help.stdout).toContain(command);
    for (const command of ['run', 'ls', 'logs']) {
      const result = await runCli([command, '--help'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Usage: ephemeral-servers ${command}`);
    }
    const version = await runCli(['--version'], { cwd: dir });
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version,
    );
  });
});

describe('ephemeral-servers prune', () => {
  it('reaps a run whose owner and supervisor were both SIGKILLed, and leaves live runs alone', async () => {
    // startServers() creating its own run; then its supervisor and the owner are SIGKILLed together (a crash).
    const ownerScript = join(dir, 'owner.mjs');
    await writeFile(
      ownerScript,
      `import { startServers } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
const handle = await startServers({ api: { command: ['node', ${JSON.stringify(SERVER_SCRIPT)}, '--port', '{port}', '--name', 'api', '--pid-file', ${JSON.stringify(pidFile)}] } });
console.log('STATE=' + handle.run.stateFile);
setInterval(() => {}, 1000);
`,
    );
    const ownerEnv: NodeJS.ProcessEnv = { ...process.env, ...env() };
    delete ownerEnv.EPHEMERAL_SERVERS_STATE;
    const owner = spawn(process.execPath, [ownerScript], { env: ownerEnv, stdio: ['ignore', 'pipe', 'inherit'] });
    const stateFile = await new Promise<string>((resolve, reject) => {
      let out = '';
      owner.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const match = /STATE=(\S+)\n/.exec(out);
        if (match) resolve(match[1]!);
      });
      owner.once('exit', () => reject(new Error(`owner exited early: ${out}`)));
    });
    // A live run next to it (this test process owns it), which prune must not touch.
    await writeConfig();
    const live = startCli(['run', '--', ...nodeEval("console.log('live'); setInterval(() => {}, 1000)")], {
      cwd: dir,
      env: env(),
    });
    started.push(live);
    await live.waitFor('live', 'stdout');
    // The supervisor first, so that it cannot see the owner's pipe close and reap.
    const supervisor = JSON.parse(readFileSync(join(stateFile, '..', 'supervisor.json'), 'utf8')) as { pid: number };
    process.kill(supervisor.pid, 'SIGKILL');
    owner.kill('SIGKILL');
    await new Promise((resolve) => owner.once('close', resolve));
    expect(await waitUntilGone([supervisor.pid], 5000)).toEqual([]);
    const [orphan] = pidsInLog(pidFile, 'api');
    expect(isLive(orphan!)).toBe(true);

    const listed = await runCli(['ls'], { cwd: dir, env: env() });
    expect(listed.stdout).toContain('1 stale run(s) whose owner died: `ephemeral-servers prune` removes them.');

    const pruned = await runCli(['prune', '--json'], { cwd: dir, env: env() });
    expect(pruned.code).toBe(0);
    expect(JSON.parse(pruned.stdout)).toEqual({ reaped: [join(stateFile, '..')], skipped: [] });
    expect(await waitUntilGone([orphan!], 5000)).toEqual([]);
    expect(existsSync(stateFile)).toBe(false);

    const again = await runCli(['prune'], { cwd: dir, env: env() });
    expect(again.stdout).toBe('No stale runs.\n');
    process.kill(live.child.pid!, 'SIGTERM');
    await live.done;
    await expectNothingLeft();
  });
});
