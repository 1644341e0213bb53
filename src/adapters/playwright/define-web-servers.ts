import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PlaywrightTestConfig } from '@playwright/test';
import type { NormalizedSpec } from '../../config/normalized.js';
import type { ServersConfig } from '../../config/types.js';
import { validateConfig } from '../../config/validate-config.js';
import type { Endpoint } from '../../endpoint.js';
import { ConfigError, ServerNotFoundError, type ConfigIssue } from '../../errors.js';
import { expandUrlTemplate } from '../../config/placeholders.js';
import { encodePayload, portEnvOf, readyPattern, type LaunchPayload } from './launch-payload.js';
import { allocatePortsSync, PORTS_ENV, readHandoff, type PortHandoff } from './port-handoff.js';
import { quoteForShell } from './shell-quote.js';

/** One entry of Playwright's `webServer` config option. */
export type WebServerEntry = Extract<NonNullable<PlaywrightTestConfig['webServer']>, readonly unknown[]>[number];

/** Options of {@link defineWebServers}. */
export interface DefineWebServersOptions {
  /** Servers to turn into `webServer` entries. @default every `run`-scoped command server of the config */
  only?: readonly string[];
  /** Playwright's `stdout` for every entry. @default 'ignore' (Playwright's default) */
  stdout?: 'pipe' | 'ignore';
  /** Playwright's `stderr` for every entry. @default 'pipe' (Playwright's default) */
  stderr?: 'pipe' | 'ignore';
  /** Environment to read the runner's handoff from and write it to. @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Playwright's `cwd` for every entry: the launcher's working directory, against which a spec's
   * relative `cwd` resolves. @default the Playwright config file's directory (Playwright's default)
   */
  cwd?: string;
}

/** What {@link defineWebServers} returns. */
export interface WebServers {
  /** Entries for Playwright's `webServer` option, dependencies first (Playwright starts them in order). */
  webServer: WebServerEntry[];
  /** Where each server will listen, by name: the same in the runner and in every worker. */
  endpoints: Readonly<Record<string, Endpoint>>;
  /**
   * Base URL of a server, for `use.baseURL`: `endpoints[name].url`.
   * @throws ServerNotFoundError when `name` is not one of these servers (the message lists them).
   */
  url(name: string): string;
}

/** Time the launcher adds to a start or a stop (Node's start, joining or creating a run), in milliseconds. */
const LAUNCHER_START_MS = 5_000;

/** The launcher script, next to this module in dist/ (see tsup.config.ts). */
function launcherPath(moduleUrl: string = import.meta.url): string {
  return join(dirname(fileURLToPath(moduleUrl)), 'playwright-launcher.js');
}

/**
 * The argv (after `node`) that runs the launcher for {@link allocatePortsSync}: the script next to this
 * module in dist/; from `src/` (this package's own tests, through Vitest), `allocate-for-runner.ts`
 * (the launcher's allocation mode alone) under `--import tsx`, as the supervisor is run
 * (`resolveSupervisorArgs`).
 */
function launcherArgs(moduleUrl: string = import.meta.url): string[] {
  const here = fileURLToPath(moduleUrl);
  if (!/\.[cm]?tsx?$/.test(here)) return [launcherPath(moduleUrl)];
  return [
    '--import',
    pathToFileURL(createRequire(here).resolve('tsx')).href,
    join(dirname(here), 'allocate-for-runner.ts'),
  ];
}

/** Why a server cannot be a `webServer` entry, as config issues naming it and the field. */
function checkSpec(name: string, spec: NormalizedSpec): ConfigIssue[] {
  if (spec.kind !== 'command') {
    return [
      {
        server: name,
        path: 'app',
        message:
          'is an in-process server: Playwright runs `webServer` entries as processes. Start it from a worker fixture (`workerServersFixture`) instead.',
      },
    ];
  }
  if (spec.readiness.some((probe) => probe.type === 'custom')) {
    return [
      {
        server: name,
        path: 'readiness',
        message:
          'has a custom readiness function, which cannot be handed to the process Playwright starts. Use an http, tcp or log probe.',
      },
    ];
  }
  return [];
}

/**
 * Turns servers of a config into Playwright `webServer` entries on free ports, so that `use.baseURL`
 * and the server agree:
 *
 * ```ts
 * const web = defineWebServers(servers);            // in playwright.config.ts
 * export default defineConfig({ webServer: web.webServer, use: { baseURL: web.url('web') } });
 * ```
 *
 * Playwright evaluates the config in the runner and again in every worker process. Ports are allocated
 * once, in the runner (the first process to evaluate it), reserved like every other port (below the
 * kernel's ephemeral range, held until the runner exits), and handed to workers through
 * `EPHEMERAL_SERVERS_PLAYWRIGHT_PORTS` in the environment they inherit. Each entry runs our launcher
 * (`playwright-launcher.js`, see docs/playwright.md): it starts the server in a run of its own with our
 * readiness, on the runner's port or, when that was taken meanwhile, on a reserved one, which it reports
 * through the entry's `wait.stdout` (Playwright sets the port in the runner's environment:
 * `EPHEMERAL_SERVERS_PW_PORT_<NAME>`, read by workers); and it stops the server when Playwright stops
 * it, when the runner is signalled, and when the runner dies (its stdin closes), SIGKILL included.
 *
 * @throws ConfigError when the config is invalid; when a selected server cannot be a `webServer`
 *   (in-process, a custom probe, a dependency outside the selection) or `only` names an unknown server,
 *   with every problem as an issue naming the server and the field; when a worker finds no ports from
 *   its runner; when a server's `host` is not an address of this machine.
 * @throws PortExhaustedError when a port cannot be allocated for another reason (see `allocatePortsSync`).
 */
export function defineWebServers(config: ServersConfig, options: DefineWebServersOptions = {}): WebServers {
  const plan = validateConfig(config);
  const env = options.env ?? process.env;
  const names = plan.order.filter((name) =>
    options.only === undefined
      ? plan.specs.get(name)!.scope === 'run' && plan.specs.get(name)!.kind === 'command'
      : options.only.includes(name),
  );
  const unknown = (options.only ?? []).filter((name) => !plan.specs.has(name));
  const issues: ConfigIssue[] = unknown.map((name) => ({
    path: 'only',
    message: `defineWebServers's \`only\` names "${name}", which is not in the config (known: ${[...plan.specs.keys()].join(', ')}). Fix the name, or add the server to the config.`,
  }));
  for (const name of names) {
    const spec = plan.specs.get(name)!;
    issues.push(...checkSpec(name, spec));
    for (const dependency of spec.dependsOn) {
      if (!names.includes(dependency))
        issues.push({
          server: name,
          path: 'dependsOn',
          message: `depends on "${dependency}", which is not among the webServer entries: add it to defineWebServers's \`only\`.`,
        });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);

  const handoff: PortHandoff = readHandoff(env) ?? { pid: process.pid, servers: {} };
  const missing = names.filter((name) => handoff.servers[name] === undefined);
  if (missing.length > 0) {
    // A worker never allocates: its ports would not be the ones the runner started the servers on.
    if (env.TEST_WORKER_INDEX !== undefined) {
      throw new ConfigError(
        missing.map((name) => ({
          server: name,
          path: '',
          message:
            `a Playwright worker found no port for it in \`${PORTS_ENV}\`: the runner evaluated a different config. ` +
            'Call defineWebServers() at the top level of playwright.config, with the same servers, so the runner allocates them.',
        })),
      );
    }
    // Only the ports to allocate: a fixed one is the spec's, an announced one (`port: 0`) the server's.
    const toAllocate = missing.filter((name) => plan.specs.get(name)!.port.mode === 'auto');
    const allocated = allocatePortsSync(
      toAllocate.map((name) => {
        const spec = plan.specs.get(name)!;
        return { name, host: spec.host, range: spec.port.mode === 'auto' ? spec.port.range : undefined };
      }),
      launcherArgs(),
    );
    for (const name of missing) {
      const spec = plan.specs.get(name)!;
      const port =
        spec.port.mode === 'fixed'
          ? spec.port.port
          : spec.port.mode === 'auto'
            ? allocated[toAllocate.indexOf(name)]!
            : 0;
      handoff.servers[name] = { host: spec.host, port, url: spec.url };
    }
    env[PORTS_ENV] = JSON.stringify(handoff);
  }

  const endpoints: Record<string, Endpoint> = {};
  for (const name of names) {
    const spec = plan.specs.get(name)!;
    // In a worker, the port the launcher reported (Playwright put it in the runner's env); else the runner's.
    const reported = Number(env[portEnvOf(name)]);
    const { host, port: allocatedPort } = handoff.servers[name]!;
    const port = Number.isInteger(reported) && reported > 0 ? reported : allocatedPort;
    endpoints[name] = { name, slot: 0, host, port, url: expandUrlTemplate(spec.url, { host, port }) };
  }
  const launcher = launcherPath();
  const webServer = names.map((name): WebServerEntry => {
    const spec = plan.specs.get(name)! as Extract<NormalizedSpec, { kind: 'command' }>;
    const payload: LaunchPayload = {
      name,
      spec: config[name] as unknown as Record<string, unknown>,
      preferredPort: spec.port.mode === 'auto' ? handoff.servers[name]!.port : undefined,
      portEnv: portEnvOf(name),
      dependencies: Object.fromEntries(
        spec.dependsOn.map((dependency) => {
          const dependencySpec = plan.specs.get(dependency)!;
          return [dependency, { host: dependencySpec.host, url: dependencySpec.url, portEnv: portEnvOf(dependency) }];
        }),
      ),
    };
    return {
      name,
      command: quoteForShell([process.execPath, launcher, name, encodePayload(payload)]),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      // Our readiness, in the launcher; its ready line carries the port (a named group: Playwright sets it in process.env).
      wait: { stdout: readyPattern(name) },
      // The launcher's own start (about 100 ms) on top of the server's deadline.
      timeout: spec.startTimeoutMs + LAUNCHER_START_MS,
      // The launcher stops the server with its own stop signal and timeout, then exits.
      gracefulShutdown: { signal: 'SIGTERM', timeout: spec.stopTimeoutMs + LAUNCHER_START_MS },
      reuseExistingServer: false,
      stdout: options.stdout ?? 'ignore',
      stderr: options.stderr ?? 'pipe',
    };
  });
  return {
    webServer,
    endpoints,
    url(name: string): string {
      const endpoint = endpoints[name];
      if (endpoint === undefined)
        throw new ServerNotFoundError(name, undefined, names, 'the webServer entries of defineWebServers');
      return endpoint.url;
    },
  };
}
