import { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import {
  describeValue,
  formatPath,
  fromZodIssues,
  isPlainObject,
  isRegExp,
  mustBe,
  type PathSegment,
} from './config-issues.js';
import { DEFAULTS, type NormalizedProbe } from './normalized.js';
import { suggestName } from './suggest-name.js';
import type { CustomReadiness } from './types.js';

const statusCode = z
  .int(mustBe('an HTTP status from 100 to 599'))
  .min(100, mustBe('an HTTP status from 100 to 599'))
  .max(599, mustBe('an HTTP status from 100 to 599'));

/** One strict schema per probe type, each turning its object into a {@link NormalizedProbe}. */
const probeSchemas = {
  http: z
    .strictObject({
      type: z.literal('http'),
      path: z
        .string(mustBe('a path starting with "/", e.g. "/health"'))
        .startsWith('/', mustBe('a path starting with "/", e.g. "/health" (the host and port come from the server)'))
        .optional(),
      url: z
        .string(mustBe("a URL template such as 'http://{host}:{port}/health'"))
        .regex(/^https?:\/\//i, mustBe("an http:// or https:// URL template such as 'http://{host}:{port}/health'"))
        .optional(),
      statuses: z
        .array(statusCode, mustBe('an array of HTTP statuses'))
        .min(1, { error: 'must not be empty: omit `statuses` to accept 200 to 399' })
        .optional(),
      insecure: z.boolean(mustBe('true or false')).optional(),
    })
    .refine((probe) => probe.path === undefined || probe.url === undefined, {
      error:
        "has both `path` and `url`: keep `url` (the whole URL to request) or `path` (appended to the server's url)",
      path: ['url'],
    })
    .transform((probe): NormalizedProbe => ({
      type: 'http',
      path: probe.path ?? DEFAULTS.httpPath,
      url: probe.url,
      statuses: probe.statuses,
      insecure: probe.insecure ?? false,
    })),
  tcp: z.strictObject({ type: z.literal('tcp') }).transform((): NormalizedProbe => ({ type: 'tcp' })),
  log: z
    .strictObject({
      type: z.literal('log'),
      pattern: z.custom<RegExp>(isRegExp, mustBe('a RegExp, e.g. /listening on port (?<port>\\d+)/')),
    })
    .transform((probe): NormalizedProbe => ({ type: 'log', pattern: probe.pattern })),
  custom: z
    .strictObject({
      type: z.literal('custom'),
      check: z.custom<CustomReadiness['check']>((value) => typeof value === 'function', mustBe('a function')),
      description: z
        .string(mustBe('a string'))
        .min(1, { error: "must not be empty: omit it to be named 'custom'" })
        .optional(),
    })
    .transform((probe): NormalizedProbe => ({
      type: 'custom',
      check: probe.check,
      description: probe.description ?? 'custom',
    })),
};

type ProbeType = keyof typeof probeSchemas;
const PROBE_TYPES = Object.keys(probeSchemas) as ProbeType[];
const SHORTHAND_NAMES = ['http', 'tcp'];
const SHORTHANDS =
  "'http', 'tcp', a RegExp (log probe), a function (custom probe) or a probe object such as { type: 'http', path: '/health' }";

/** A probe after expansion, with the path of the spec it came from (`readiness`, `readiness[1]`). */
export interface LocatedProbe {
  probe: NormalizedProbe;
  path: string;
}

/** Result of {@link parseReadiness}: the valid probes, and the issues of the others. */
export interface ParsedReadiness {
  probes: LocatedProbe[];
  issues: ConfigIssue[];
  /** Whether an entry `{ type: 'log', … }` is among the invalid ones (its `pattern` cannot be checked). */
  hasInvalidLogProbe: boolean;
}

function parseObject(
  item: Record<string, unknown>,
  at: PathSegment[],
  server: string,
  issues: ConfigIssue[],
): NormalizedProbe | undefined {
  const type = item['type'];
  if (typeof type !== 'string' || !(PROBE_TYPES as string[]).includes(type)) {
    const suggestion = typeof type === 'string' ? suggestName(type, PROBE_TYPES) : undefined;
    issues.push({
      server,
      path: formatPath([...at, 'type']),
      message:
        type === undefined
          ? "is missing: set it to 'http', 'tcp', 'log' or 'custom'"
          : `must be 'http', 'tcp', 'log' or 'custom'; received ${describeValue(type)}${suggestion ? `. Did you mean '${suggestion}'?` : ''}`,
    });
    return undefined;
  }
  const schema = probeSchemas[type as ProbeType];
  const result = schema.safeParse(item);
  if (result.success) return result.data;
  issues.push(...fromZodIssues(result.error.issues, { server, prefix: at, knownFields: Object.keys(schema.in.shape) }));
  return undefined;
}

function parseItem(
  item: unknown,
  at: PathSegment[],
  server: string,
  issues: ConfigIssue[],
): NormalizedProbe | undefined {
  if (item === 'http' || item === 'tcp') return probeSchemas[item].parse({ type: item });
  if (isRegExp(item)) return { type: 'log', pattern: item };
  if (typeof item === 'function')
    return { type: 'custom', check: item as CustomReadiness['check'], description: 'custom' };
  if (isPlainObject(item)) return parseObject(item, at, server, issues);
  let message = `must be ${SHORTHANDS}; received ${describeValue(item)}`;
  if (item === 'log') message += '. For a log probe, give the RegExp itself, e.g. /ready/';
  else if (item === 'custom') message += '. For a custom probe, give the function itself';
  else if (typeof item === 'string' && suggestName(item, SHORTHAND_NAMES) !== undefined) {
    message += `. Did you mean '${suggestName(item, SHORTHAND_NAMES) ?? ''}'?`;
  } else if (Array.isArray(item))
    message = 'must not be an array inside `readiness`: list every probe in one flat array';
  issues.push({ server, path: formatPath(at), message });
  return undefined;
}

/**
 * Validates `readiness` (defined) and expands its shorthands: `'http'` → `{ type: 'http', path: '/',
 * statuses: undefined, insecure: false }`, `'tcp'`, a RegExp → a log probe, a function → a custom probe
 * named `'custom'`; an array → one probe per entry. An empty array is an issue.
 */
export function parseReadiness(readiness: unknown, server: string): ParsedReadiness {
  const issues: ConfigIssue[] = [];
  const probes: LocatedProbe[] = [];
  let hasInvalidLogProbe = false;
  const items = Array.isArray(readiness) ? (readiness as unknown[]) : [readiness];
  if (Array.isArray(readiness) && readiness.length === 0) {
    issues.push({
      server,
      path: 'readiness',
      message: 'must not be an empty array: list at least one probe, or omit `readiness` for the default',
    });
  }
  items.forEach((item, index) => {
    const at: PathSegment[] = Array.isArray(readiness) ? ['readiness', index] : ['readiness'];
    const probe = parseItem(item, at, server, issues);
    if (probe !== undefined) probes.push({ probe, path: formatPath(at) });
    else if (isPlainObject(item) && item['type'] === 'log') hasInvalidLogProbe = true;
  });
  return { probes, issues, hasInvalidLogProbe };
}

/** Whether `pattern` has a named capture group `name`, e.g. `(?<port>\d+)`. */
export function hasNamedGroup(pattern: RegExp, name: string): boolean {
  // An alternation with the empty pattern always matches, and `groups` lists every named group.
  const groups = new RegExp(`${pattern.source}|`, pattern.flags.replace(/[gy]/g, '')).exec('')?.groups;
  return groups !== undefined && Object.hasOwn(groups, name);
}
