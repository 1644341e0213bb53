import { resolve } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { describeValue, fromZodIssues, isPlainObject } from './config-issues.js';
import { DEFAULTS, type NormalizedProbe, type NormalizedSpec, type PortRequest } from './normalized.js';
import { expandUrlTemplate, findPlaceholders } from './placeholders.js';
import { hasNamedGroup, parseReadiness, type LocatedProbe, type ParsedReadiness } from './parse-readiness.js';
import {
  SERVER_NAME_PATTERN,
  SERVER_SPEC_FIELDS,
  SPEC_FIELD_ALIASES,
  serverSpecSchema,
  type ParsedServerSpec,
} from './server-spec-schema.js';
import type { Scope } from './types.js';

/**
 * A string of a spec that may hold placeholders, with its path (`command[2]`, `env.DB`, `url`) and what it
 * may hold: `command` (argv, `setup`, `env`, `cwd`: the server's own values, `{tmpDir}`, and its
 * dependencies'), `url` (the connection URL: `{host}`, `{port}`, `{tmpDir}`), `probe-url` (an http
 * probe's own URL: `{host}`, `{port}`).
 */
export interface Template {
  path: string;
  template: string;
  kind: 'command' | 'url' | 'probe-url';
}

/** What checking one server spec on its own found. Cross-server rules use the facts. */
export interface ServerSpecCheck {
  issues: ConfigIssue[];
  /** Scope, when valid (`'run'` when omitted). */
  scope: Scope | undefined;
  /** Entries of `dependsOn` that are non-empty strings, with their index. */
  dependsOn: { name: string; index: number }[];
  /** Strings of `command`, `setup`, `env` values, `cwd`, `url` and http probes' `url`. */
  templates: Template[];
  /** Whether it is a command server (only those have `{tmpDir}`). */
  isCommand: boolean;
  /** The normalized spec, when this spec has no issue of its own. */
  spec: NormalizedSpec | undefined;
}

const ANNOUNCE_EXAMPLE = 'readiness: /listening on .*:(?<port>\\d+)/';

function collectFacts(
  raw: Record<string, unknown>,
  readiness: ParsedReadiness,
): Pick<ServerSpecCheck, 'scope' | 'dependsOn' | 'templates' | 'isCommand'> {
  const scope =
    raw['scope'] === undefined ? 'run' : raw['scope'] === 'run' || raw['scope'] === 'worker' ? raw['scope'] : undefined;
  const dependsOn: ServerSpecCheck['dependsOn'] = [];
  if (Array.isArray(raw['dependsOn'])) {
    (raw['dependsOn'] as unknown[]).forEach((name, index) => {
      if (typeof name === 'string' && name !== '') dependsOn.push({ name, index });
    });
  }
  const templates: Template[] = [];
  const argv = (value: unknown, path: string): void => {
    if (!Array.isArray(value)) return;
    value.forEach((part: unknown, index) => {
      if (typeof part === 'string') templates.push({ path: `${path}[${index}]`, template: part, kind: 'command' });
    });
  };
  argv(raw['command'], 'command');
  if (Array.isArray(raw['setup'])) (raw['setup'] as unknown[]).forEach((step, index) => argv(step, `setup[${index}]`));
  if (isPlainObject(raw['env'])) {
    for (const [name, value] of Object.entries(raw['env'])) {
      if (typeof value === 'string') templates.push({ path: `env.${name}`, template: value, kind: 'command' });
    }
  }
  if (typeof raw['cwd'] === 'string') templates.push({ path: 'cwd', template: raw['cwd'], kind: 'command' });
  if (typeof raw['url'] === 'string') templates.push({ path: 'url', template: raw['url'], kind: 'url' });
  for (const { probe, path } of readiness.probes) {
    if (probe.type === 'http' && probe.url !== undefined)
      templates.push({ path: `${path}.url`, template: probe.url, kind: 'probe-url' });
  }
  return { scope, dependsOn, templates, isCommand: raw['command'] !== undefined && raw['app'] === undefined };
}

/** The scheme of a `url` template (`redis` of `redis://{host}:{port}`), lower-cased, or `undefined` when it has none. */
function urlScheme(template: unknown): string | undefined {
  return typeof template === 'string' ? /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(template)?.[1]?.toLowerCase() : undefined;
}

/** What is wrong with a `url` template once expanded with sample values, or `undefined` when it is a URL (or has placeholder problems, reported elsewhere). */
function describeUrlProblem(template: string): string | undefined {
  let sample: string;
  try {
    sample = expandUrlTemplate(template, {
      host: '127.0.0.1',
      port: 5432,
      tmpDir: '/tmp/ephemeral-servers-run-sample/tmp/db@0',
    });
  } catch (error) {
    // An unknown placeholder: the reference checks report it.
    if (error instanceof TypeError) return undefined;
    throw error;
  }
  return URL.canParse(sample)
    ? undefined
    : `is not a valid URL once expanded (it would be ${JSON.stringify(sample)}): write it as a URL, e.g. 'redis://{host}:{port}/0'`;
}

/** Rules between fields of one spec: kind, kind-only fields, env names, ports, log probes. */
function checkFieldRules(server: string, raw: Record<string, unknown>, readiness: ParsedReadiness): ConfigIssue[] {
  const probes = readiness.probes;
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string): void => void issues.push({ server, path, message });
  const hasCommand = raw['command'] !== undefined;
  const hasApp = raw['app'] !== undefined;
  if (hasCommand && hasApp) {
    add(
      '',
      'has both `command` and `app`: keep one (`command` spawns a process, `app` starts a server in this process)',
    );
  } else if (!hasCommand && !hasApp) {
    add(
      '',
      'needs `command` (an argv array to spawn, e.g. ["node", "server.js"]) or `app` (a function returning a server, started in this process)',
    );
  }
  if (hasApp && !hasCommand) {
    for (const field of ['cwd', 'env', 'user'] as const) {
      if (raw[field] !== undefined) {
        add(
          field,
          'applies to command servers only: an in-process server (`app`) shares the working directory, environment and user of this process',
        );
      }
    }
    if (raw['setup'] !== undefined) {
      add(
        'setup',
        'applies to command servers only: an in-process server (`app`) can do its setup in its `app` factory',
      );
    }
    for (const { probe, path } of probes) {
      if (probe.type === 'log') {
        add(
          path,
          "is a log probe, which reads a command server's output: an in-process server (`app`) has none; use a custom or http probe",
        );
      }
    }
  }
  if (Array.isArray(raw['command']) && raw['command'][0] === '')
    add('command[0]', 'must name the executable; received ""');
  if (Array.isArray(raw['setup'])) {
    (raw['setup'] as unknown[]).forEach((step, index) => {
      if (Array.isArray(step) && step[0] === '') add(`setup[${index}][0]`, 'must name the executable; received ""');
    });
  }
  if (raw['url'] !== undefined && raw['protocol'] !== undefined) {
    add(
      'protocol',
      "is not combined with `url`: the scheme is the url's own; drop `protocol` (e.g. url: 'https://{host}:{port}')",
    );
  }
  const scheme = urlScheme(raw['url']);
  if (typeof raw['url'] === 'string' && scheme !== undefined) {
    const problem = describeUrlProblem(raw['url']);
    if (problem !== undefined) add('url', problem);
  }
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    for (const { probe, path } of probes) {
      if (probe.type === 'http' && probe.url === undefined) {
        add(
          path,
          `is an http probe, but this server's \`url\` is ${scheme}://, not http(s)://: give the probe its own url, ` +
            "e.g. { type: 'http', url: 'http://{host}:{port}/health' }, or use 'tcp' (the default for a command server)",
        );
      }
    }
  }
  if (isPlainObject(raw['env'])) {
    for (const name of Object.keys(raw['env'])) {
      if (name === '' || name.includes('=') || name.includes('\0')) {
        add(
          `env.${name}`,
          `is not a valid environment variable name (${describeValue(name)}): names are non-empty and contain no "=" or NUL`,
        );
      }
    }
  }
  const port = raw['port'];
  const range = raw['portRange'];
  const announced = hasCommand && !hasApp && port === 0;
  if (range !== undefined && announced) {
    add(
      'portRange',
      'does not apply with `port: 0`, where the server binds a port the kernel picks: ' +
        'drop `portRange`, or drop `port` to allocate a port from the range',
    );
  } else if (range !== undefined && typeof port === 'number' && port !== 0) {
    add(
      'portRange',
      `cannot be combined with a fixed \`port: ${port}\`: a range only applies when the port is allocated; drop one of them`,
    );
  }
  const logProbes = probes.filter((located) => located.probe.type === 'log');
  const announces = logProbes.some(({ probe }) => probe.type === 'log' && hasNamedGroup(probe.pattern, 'port'));
  // An invalid log probe is reported already, and may be the one this rule looks for.
  if (announced && !announces && !readiness.hasInvalidLogProbe) {
    const paths = logProbes.map((located) => `\`${located.path}\``).join(', ');
    const noGroup = logProbes.length === 0 ? '' : ` (the log probe at ${paths} has no \`port\` group)`;
    add(
      'port',
      'is 0, so the server binds a port the kernel picks and must announce it: add a `log` readiness probe ' +
        `whose pattern captures the port in a named group \`port\`, e.g. \`${ANNOUNCE_EXAMPLE}\`${noGroup}. ` +
        'Or omit `port` to have a free port passed to the server through `{port}`.',
    );
  }
  return issues;
}

/** Whether a template holds a placeholder (an unknown one counts: it is reported by the reference checks). */
function hasPlaceholders(template: string): boolean {
  return findPlaceholders(template).length > 0;
}

function normalizePort(data: ParsedServerSpec, kind: NormalizedSpec['kind']): PortRequest {
  const range = data.portRange;
  if (data.port === undefined || data.port === 'auto') return { mode: 'auto', range };
  if (data.port === 0) return kind === 'command' ? { mode: 'announced' } : { mode: 'auto', range };
  return { mode: 'fixed', port: data.port };
}

function normalize(name: string, data: ParsedServerSpec, probes: readonly LocatedProbe[]): NormalizedSpec {
  const kind = data.app === undefined ? 'command' : 'in-process';
  const explicit: NormalizedProbe[] = probes.map((located) => located.probe);
  const base = {
    name,
    scope: data.scope ?? 'run',
    host: data.host ?? DEFAULTS.host,
    port: normalizePort(data, kind),
    url: data.url ?? `${data.protocol ?? DEFAULTS.protocol}://{host}:{port}`,
    readiness: data.readiness !== undefined ? explicit : kind === 'command' ? [{ type: 'tcp' } as const] : [],
    startTimeoutMs: data.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
    stopSignal: data.stopSignal ?? DEFAULTS.stopSignal,
    stopTimeoutMs: data.stopTimeoutMs ?? DEFAULTS.stopTimeoutMs,
    dependsOn: [...new Set(data.dependsOn ?? [])],
  };
  if (data.app !== undefined) return { ...base, kind: 'in-process', app: data.app };
  // A cwd with a placeholder (`{tmpDir}/x`) is expanded and resolved at start.
  const cwd = data.cwd !== undefined && hasPlaceholders(data.cwd) ? data.cwd : resolve(data.cwd ?? process.cwd());
  return {
    ...base,
    kind: 'command',
    command: [...(data.command ?? [])],
    setup: (data.setup ?? []).map((step) => [...step]),
    cwd,
    env: { ...data.env },
    user: data.user,
  };
}

/**
 * Checks one server spec on its own (shape of every field, rules between its fields) and normalizes it
 * when it has no issue. Rules that involve other servers (`dependsOn`, placeholders, cycles) are left to
 * the caller, which gets the facts they need.
 */
export function checkServerSpec(name: string, value: unknown): ServerSpecCheck {
  const issues: ConfigIssue[] = [];
  if (!SERVER_NAME_PATTERN.test(name)) {
    issues.push({
      server: name,
      path: '',
      message:
        'has an invalid name: use letters, digits, "_" and "-" only (names appear in placeholders such as `{db.url}`); ' +
        `received ${JSON.stringify(name)}`,
    });
  }
  if (!isPlainObject(value)) {
    issues.push({
      server: name,
      path: '',
      message:
        'must be an object with `command` (an argv array to spawn) or `app` (a function returning a server); ' +
        `received ${describeValue(value)}`,
    });
    return { issues, scope: undefined, dependsOn: [], templates: [], isCommand: false, spec: undefined };
  }
  const parsed = serverSpecSchema.safeParse(value);
  if (!parsed.success) {
    issues.push(
      ...fromZodIssues(parsed.error.issues, {
        server: name,
        prefix: [],
        knownFields: SERVER_SPEC_FIELDS,
        aliases: SPEC_FIELD_ALIASES,
      }),
    );
  }
  const readiness: ParsedReadiness =
    value['readiness'] === undefined
      ? { probes: [], issues: [], hasInvalidLogProbe: false }
      : parseReadiness(value['readiness'], name);
  issues.push(...readiness.issues, ...checkFieldRules(name, value, readiness));
  const spec = issues.length === 0 && parsed.success ? normalize(name, parsed.data, readiness.probes) : undefined;
  return { issues, ...collectFacts(value, readiness), spec };
}
