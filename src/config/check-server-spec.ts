import { resolve } from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { describeValue, fromZodIssues, isPlainObject } from './config-issues.js';
import { DEFAULTS, type NormalizedProbe, type NormalizedSpec, type PortRequest } from './normalized.js';
import { hasNamedGroup, parseReadiness, type LocatedProbe, type ParsedReadiness } from './parse-readiness.js';
import { SERVER_NAME_PATTERN, SERVER_SPEC_FIELDS, SPEC_FIELD_ALIASES, serverSpecSchema, type ParsedServerSpec } from './server-spec-schema.js';
import type { Scope } from './types.js';

/** A `command` argument or `env` value that may hold placeholders, with its path (`command[2]`, `env.DB`). */
export interface Template {
  path: string;
  template: string;
}

/** What checking one server spec on its own found. Cross-server rules use the facts. */
export interface ServerSpecCheck {
  issues: ConfigIssue[];
  /** Scope, when valid (`'run'` when omitted). */
  scope: Scope | undefined;
  /** Entries of `dependsOn` that are non-empty strings, with their index. */
  dependsOn: { name: string; index: number }[];
  /** Strings of `command` and values of `env`. */
  templates: Template[];
  /** The normalized spec, when this spec has no issue of its own. */
  spec: NormalizedSpec | undefined;
}

const ANNOUNCE_EXAMPLE = 'readiness: /listening on .*:(?<port>\\d+)/';

function collectFacts(raw: Record<string, unknown>): Pick<ServerSpecCheck, 'scope' | 'dependsOn' | 'templates'> {
  const scope = raw['scope'] === undefined ? 'run' : raw['scope'] === 'run' || raw['scope'] === 'worker' ? raw['scope'] : undefined;
  const dependsOn: ServerSpecCheck['dependsOn'] = [];
  if (Array.isArray(raw['dependsOn'])) {
    (raw['dependsOn'] as unknown[]).forEach((name, index) => {
      if (typeof name === 'string' && name !== '') dependsOn.push({ name, index });
    });
  }
  const templates: Template[] = [];
  if (Array.isArray(raw['command'])) {
    (raw['command'] as unknown[]).forEach((part, index) => {
      if (typeof part === 'string') templates.push({ path: `command[${index}]`, template: part });
    });
  }
  if (isPlainObject(raw['env'])) {
    for (const [name, value] of Object.entries(raw['env'])) {
      if (typeof value === 'string') templates.push({ path: `env.${name}`, template: value });
    }
  }
  return { scope, dependsOn, templates };
}

/** Rules between fields of one spec: kind, kind-only fields, env names, ports, log probes. */
function checkFieldRules(server: string, raw: Record<string, unknown>, readiness: ParsedReadiness): ConfigIssue[] {
  const probes = readiness.probes;
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string): void => void issues.push({ server, path, message });
  const hasCommand = raw['command'] !== undefined;
  const hasApp = raw['app'] !== undefined;
  if (hasCommand && hasApp) {
    add('', 'has both `command` and `app`: keep one (`command` spawns a process, `app` starts a server in this process)');
  } else if (!hasCommand && !hasApp) {
    add('', 'needs `command` (an argv array to spawn, e.g. ["node", "server.js"]) or `app` (a function returning a server, started in this process)');
  }
  if (hasApp && !hasCommand) {
    for (const field of ['cwd', 'env'] as const) {
      if (raw[field] !== undefined) {
        add(field, 'applies to command servers only: an in-process server (`app`) shares the working directory and environment of this process');
      }
    }
    for (const { probe, path } of probes) {
      if (probe.type === 'log') {
        add(path, "is a log probe, which reads a command server's output: an in-process server (`app`) has none; use a custom or http probe");
      }
    }
  }
  if (Array.isArray(raw['command']) && raw['command'][0] === '') add('command[0]', 'must name the executable; received ""');
  if (isPlainObject(raw['env'])) {
    for (const name of Object.keys(raw['env'])) {
      if (name === '' || name.includes('=') || name.includes('\0')) {
        add(`env.${name}`, `is not a valid environment variable name (${describeValue(name)}): names are non-empty and contain no "=" or NUL`);
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
    add('portRange', `cannot be combined with a fixed \`port: ${port}\`: a range only applies when the port is allocated; drop one of them`);
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
    protocol: data.protocol ?? DEFAULTS.protocol,
    readiness: data.readiness !== undefined ? explicit : kind === 'command' ? [{ type: 'tcp' } as const] : [],
    startTimeoutMs: data.startTimeoutMs ?? DEFAULTS.startTimeoutMs,
    stopSignal: data.stopSignal ?? DEFAULTS.stopSignal,
    stopTimeoutMs: data.stopTimeoutMs ?? DEFAULTS.stopTimeoutMs,
    dependsOn: [...new Set(data.dependsOn ?? [])],
  };
  if (data.app !== undefined) return { ...base, kind: 'in-process', app: data.app };
  return { ...base, kind: 'command', command: [...(data.command ?? [])], cwd: resolve(data.cwd ?? process.cwd()), env: { ...data.env } };
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
    return { issues, scope: undefined, dependsOn: [], templates: [], spec: undefined };
  }
  const parsed = serverSpecSchema.safeParse(value);
  if (!parsed.success) {
    issues.push(...fromZodIssues(parsed.error.issues, { server: name, prefix: [], knownFields: SERVER_SPEC_FIELDS, aliases: SPEC_FIELD_ALIASES }));
  }
  const readiness: ParsedReadiness = value['readiness'] === undefined ? { probes: [], issues: [], hasInvalidLogProbe: false } : parseReadiness(value['readiness'], name);
  issues.push(...readiness.issues, ...checkFieldRules(name, value, readiness));
  const spec = issues.length === 0 && parsed.success ? normalize(name, parsed.data, readiness.probes) : undefined;
  return { issues, ...collectFacts(value), spec };
}
