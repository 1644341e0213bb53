import type { PlaywrightTestConfig } from '@playwright/test';
import { expandPlaceholders, validateConfig, type Endpoint, type NormalizedSpec, type ServersConfig } from '../../index.js';
import { expandUrlTemplate } from '../../config/placeholders.js';
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
}

/** What {@link defineWebServers} returns. */
export interface WebServers {
  /** Entries for Playwright's `webServer` option, dependencies first (Playwright starts them in order). */
  webServer: WebServerEntry[];
  /** Where each server will listen, by name: the same in the runner and in every worker. */
  endpoints: Readonly<Record<string, Endpoint>>;
  /**
   * Base URL of a server, for `use.baseURL`.
   * @throws TypeError when `name` is not one of these servers.
   */
  url(name: string): string;
}

/** Picks the Playwright readiness check for a spec: an http probe's URL, else a log pattern, else the port. */
function readinessOf(spec: NormalizedSpec, endpoint: Endpoint): Pick<WebServerEntry, 'url' | 'port' | 'wait' | 'ignoreHTTPSErrors'> {
  const http = spec.readiness.find((probe) => probe.type === 'http');
  if (http) return { url: `${endpoint.url}${http.path}`, ignoreHTTPSErrors: http.insecure };
  const log = spec.readiness.find((probe) => probe.type === 'log');
  if (log) return { wait: { stdout: log.pattern, stderr: log.pattern } };
  return { port: endpoint.port };
}

function checkSpec(spec: NormalizedSpec): string[] {
  const problems: string[] = [];
  if (spec.kind !== 'command') {
    problems.push('is an in-process server: Playwright runs `webServer` entries as shell commands. Start it from a worker fixture (`workerServersFixture`) instead.');
    return problems;
  }
  if (spec.port.mode === 'announced') {
    problems.push('has `port: 0` (announced through its log): the port must be known when the config is evaluated, for `baseURL`. Omit `port`.');
  }
  if (spec.readiness.some((probe) => probe.type === 'custom')) {
    problems.push('has a custom readiness function, which Playwright cannot run. Use an http, tcp or log probe.');
  }
  if (spec.stopSignal !== 'SIGTERM' && spec.stopSignal !== 'SIGINT') {
    problems.push(`has \`stopSignal: '${spec.stopSignal}'\`; Playwright's gracefulShutdown supports SIGTERM and SIGINT only.`);
  }
  const templates = [spec.url, spec.cwd, ...spec.command, ...Object.values(spec.env)];
  if (spec.setup.length > 0 || spec.user !== undefined || templates.some((template) => /\{tmpDir\}/.test(template))) {
    problems.push('has `setup`, `user` or `{tmpDir}`, which only the run can provide: leave it out of defineWebServers; the global setup starts it.');
  }
  return problems;
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
 * once, in the runner (the first process to evaluate it), and handed to workers through
 * `EPHEMERAL_SERVERS_PLAYWRIGHT_PORTS` in the environment they inherit; a worker reads them back, so
 * it sees exactly the runner's ports. Placeholders (`{port}`, `{url}`, `{api.url}`, …) in `command`
 * and `env` are expanded; readiness maps to Playwright's checks (an http probe → `url`, else a log
 * probe → `wait`, else `port`), `startTimeoutMs` → `timeout`, `stopSignal`/`stopTimeoutMs` →
 * `gracefulShutdown`. The processes are Playwright's: on a SIGKILL of the runner it leaves them
 * running (see docs/playwright.md); servers of the worker fixture are covered by the run's supervisor.
 *
 * @throws ConfigError when the config is invalid.
 * @throws TypeError when a selected server cannot be a `webServer` (in-process, announced port, custom
 *   probe, a stop signal other than SIGTERM/SIGINT, a dependency outside the selection), listing every
 *   problem; or when a worker finds no ports from its runner.
 */
export function defineWebServers(config: ServersConfig, options: DefineWebServersOptions = {}): WebServers {
  const plan = validateConfig(config);
  const env = options.env ?? process.env;
  const names = plan.order.filter((name) =>
    options.only === undefined ? plan.specs.get(name)!.scope === 'run' && plan.specs.get(name)!.kind === 'command' : options.only.includes(name),
  );
  const unknown = (options.only ?? []).filter((name) => !plan.specs.has(name));
  const problems = unknown.map((name) => `\`only\` names "${name}", which is not in the config (known: ${[...plan.specs.keys()].join(', ')}).`);
  for (const name of names) {
    const spec = plan.specs.get(name)!;
    problems.push(...checkSpec(spec).map((problem) => `Server "${name}" ${problem}`));
    for (const dependency of spec.dependsOn) {
      if (!names.includes(dependency)) problems.push(`Server "${name}" depends on "${dependency}", which is not among the webServer entries: add it to \`only\`.`);
    }
  }
  if (problems.length > 0) throw new TypeError(`Cannot turn these servers into Playwright webServer entries:\n${problems.map((p) => `  - ${p}`).join('\n')}`);

  const handoff: PortHandoff = readHandoff(env) ?? { pid: process.pid, servers: {} };
  const missing = names.filter((name) => handoff.servers[name] === undefined);
  if (missing.length > 0) {
    // A worker never allocates: its ports would not be the ones the runner started the servers on.
    if (env.TEST_WORKER_INDEX !== undefined) {
      throw new TypeError(
        `Playwright worker found no port for ${missing.join(', ')} in \`${PORTS_ENV}\`: the runner evaluated a different config. ` +
          'Call defineWebServers() at the top level of playwright.config, with the same servers, so the runner allocates them.',
      );
    }
    const hosts = missing.map((name) => plan.specs.get(name)!.host);
    const allocated = allocatePortsSync(hosts);
    missing.forEach((name, index) => {
      const spec = plan.specs.get(name)!;
      handoff.servers[name] = { host: spec.host, port: spec.port.mode === 'fixed' ? spec.port.port : allocated[index]! };
    });
    env[PORTS_ENV] = JSON.stringify(handoff);
  }

  const endpoints: Record<string, Endpoint> = {};
  for (const name of names) {
    const { host, port } = handoff.servers[name]!;
    const spec = plan.specs.get(name)!;
    endpoints[name] = { name, slot: 0, host, port, url: expandUrlTemplate(spec.url, { host, port }) };
  }
  const webServer = names.map((name): WebServerEntry => {
    const spec = plan.specs.get(name)! as Extract<NormalizedSpec, { kind: 'command' }>;
    const values = { self: endpoints[name]!, servers: endpoints };
    const expandedEnv = Object.fromEntries(Object.entries(spec.env).map(([key, value]) => [key, expandPlaceholders(value, values)]));
    return {
      name,
      command: quoteForShell(spec.command.map((arg) => expandPlaceholders(arg, values))),
      cwd: spec.cwd,
      env: { PYTHONUNBUFFERED: '1', ...expandedEnv },
      ...readinessOf(spec, endpoints[name]!),
      timeout: spec.startTimeoutMs,
      gracefulShutdown: { signal: spec.stopSignal as 'SIGTERM' | 'SIGINT', timeout: spec.stopTimeoutMs },
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
      if (endpoint === undefined) throw new TypeError(`No webServer "${name}"; these are: ${names.join(', ') || '(none)'}.`);
      return endpoint.url;
    },
  };
}
