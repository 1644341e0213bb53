/**
 * The process a `defineWebServers` entry makes Playwright spawn: `node playwright-launcher.js <name>
 * <payload>` (see `launch-payload.ts`). It starts the one server through `startServers` in a run of
 * its own (under `ephemeral-servers run` too), whose supervisor is the server's parent and watches this
 * launcher: if the launcher dies by any means, the server is stopped. So:
 *
 * - the port is the runner's (tried first), else one reserved like every other (retried on EADDRINUSE);
 * - readiness is ours; the launcher then prints the ready line, which the entry's `wait.stdout` matches
 *   at once, its port in a named group that Playwright puts in the runner's environment for workers;
 * - it stops the server (then exits) on SIGTERM, SIGINT or SIGHUP (Playwright's teardown), and when its
 *   stdin closes: Playwright's runner holds the other end, so the runner's death, SIGKILL included,
 *   ends the server too.
 *
 * With `--allocate-ports <requests JSON>` it only allocates ports for its parent, Playwright's runner
 * (`allocate-for-runner.ts`, see `allocatePortsSync`), prints them as JSON and exits.
 *
 * A start failure prints the typed error (with the server's output tail) and exits 1. So does a server
 * that dies once it was ready: the launcher prints its `ServerDeadError` (exit status, output tail,
 * kept log) and exits 1, so that Playwright sees its webServer end instead of tests failing one by one.
 */
import { expandUrlTemplate } from '../../config/placeholders.js';
import type { ServerSpec } from '../../config/types.js';
import { ConfigError, PortInUseError } from '../../errors.js';
import { startServers, type ServersHandle } from '../../lifecycle/start-servers.js';
import { stateKey } from '../../state/schema.js';
import { STATE_ENV } from '../../state/state-path.js';
import { findDeadServers } from '../failure-report.js';
import { decodePayload, readyLine, type LaunchPayload } from './launch-payload.js';
import { allocatingPorts } from './allocate-for-runner.js';

/** Replaces `{dep.url}`, `{dep.host}`, `{dep.port}` of the dependencies in every string of a spec: they are other webServers, not in this run. */
function expandDependencies(
  value: unknown,
  endpoints: Record<string, { host: string; port: number; url: string }>,
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\{([^{}.]+)\.(url|host|port)\}/g, (match, server: string, field: 'url' | 'host' | 'port') =>
      Object.hasOwn(endpoints, server) ? String(endpoints[server]![field]) : match,
    );
  }
  if (Array.isArray(value)) return value.map((item) => expandDependencies(item, endpoints));
  if (value !== null && typeof value === 'object' && !(value instanceof RegExp)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandDependencies(item, endpoints)]));
  }
  return value;
}

/** The spec to start here: dependencies expanded and dropped, the preferred port when there is one. */
function specFor(payload: LaunchPayload, port: number | undefined): ServerSpec {
  const endpoints: Record<string, { host: string; port: number; url: string }> = {};
  for (const [name, dependency] of Object.entries(payload.dependencies)) {
    const dependencyPort = Number(process.env[dependency.portEnv]);
    if (!Number.isInteger(dependencyPort) || dependencyPort <= 0) {
      throw new ConfigError([
        {
          server: payload.name,
          path: 'dependsOn',
          message: `its webServer depends on "${name}", whose port is not in \`${dependency.portEnv}\`: list "${name}" before it in the same defineWebServers().`,
        },
      ]);
    }
    endpoints[name] = {
      host: dependency.host,
      port: dependencyPort,
      url: expandUrlTemplate(dependency.url, { host: dependency.host, port: dependencyPort }),
    };
  }
  const { dependsOn: _dependsOn, ...spec } = expandDependencies(payload.spec, endpoints) as Record<string, unknown>;
  return { ...spec, ...(port === undefined ? {} : { port }) } as ServerSpec;
}

async function launch(payload: LaunchPayload): Promise<ServersHandle> {
  const start = (port: number | undefined): Promise<ServersHandle> =>
    startServers({ [payload.name]: specFor(payload, port) }, { exportEnv: false });
  if (payload.preferredPort === undefined) return start(undefined);
  try {
    return await start(payload.preferredPort);
  } catch (error) {
    // Taken since the runner allocated it: a reserved port instead (workers read the real one).
    if (!(error instanceof PortInUseError)) throw error;
    return start(undefined);
  }
}

/** How often the launcher checks that its server is still alive once it was ready, in ms. */
const DEATH_CHECK_INTERVAL_MS = 100;

/** Resolves with the server's `ServerDeadError` once the supervisor records it dead (or its process is gone). */
async function waitForDeath(stateFile: string, key: string): Promise<Error> {
  for (;;) {
    const [dead] = await findDeadServers(stateFile, [key]);
    if (dead !== undefined) return dead;
    await new Promise((resolve) => setTimeout(resolve, DEATH_CHECK_INTERVAL_MS));
  }
}

async function main(): Promise<void> {
  const payload = decodePayload(process.argv[3] ?? '');
  // A run of its own, even under `ephemeral-servers run`: the CLI's run has the CLI's servers (a
  // webServer there would be an extra server to the runner's global setup joining it).
  delete process.env[STATE_ENV];
  // Our timers are unref()'d and the server is the supervisor's child: hold this process open.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let handle: ServersHandle | undefined;
  let stopping = false;
  const shutdown = (why: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    const stopped = handle?.stop() ?? Promise.resolve();
    stopped.then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`ephemeral-servers: webServer "${payload.name}" (${why}): ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
  // Playwright's runner holds the other end of stdin: it closes when the runner dies, SIGKILL included.
  if (!process.stdin.isTTY) {
    process.stdin.on('end', () => shutdown('the runner is gone'));
    process.stdin.on('error', () => shutdown('the runner is gone'));
    process.stdin.resume();
  }
  try {
    handle = await launch(payload);
  } catch (error) {
    clearInterval(keepAlive);
    process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
    process.exit(1);
  }
  if (stopping) return;
  const endpoint = handle.getEndpoint(payload.name);
  process.stdout.write(`${readyLine(payload.name, endpoint.port, endpoint.url)}\n`);
  const dead = await waitForDeath(handle.run.stateFile, stateKey(endpoint.name, endpoint.slot));
  if (stopping) return;
  stopping = true;
  process.stderr.write(
    `ephemeral-servers: webServer "${payload.name}" died after it was ready; the launcher exits.\n${dead.name}: ${dead.message}\n`,
  );
  await handle
    .stop()
    .catch((error: unknown) =>
      process.stderr.write(`ephemeral-servers: webServer "${payload.name}": ${String(error)}\n`),
    );
  process.exit(1);
}

if (!allocatingPorts) void main();
