import type { z } from 'zod';
import type { ConfigIssue } from '../errors.js';
import { suggestName } from './suggest-name.js';

/** One step of a path inside a server spec: a field name or an array index. */
export type PathSegment = string | number;

/**
 * Formats a path the way issues show it: fields dotted, indexes bracketed.
 * @example formatPath(['readiness', 1, 'path']) === 'readiness[1].path'
 */
export function formatPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path ? `.${String(segment)}` : String(segment);
  }
  return path;
}

/** Describes a received value for a message: strings quoted, short arrays as JSON, others by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (isRegExp(value)) return String(value);
  if (Array.isArray(value)) {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // circular or BigInt inside: describe by size
    }
    return json !== undefined && json.length <= 60 ? json : `an array of ${value.length} items`;
  }
  return 'an object';
}

/** `instanceof RegExp` that also holds across realms (vm contexts, test sandboxes). */
export function isRegExp(value: unknown): value is RegExp {
  return Object.prototype.toString.call(value) === '[object RegExp]';
}

/**
 * A plain object (`{}` literal or `Object.create(null)`), from any realm: Jest runs test files in vm
 * contexts, whose `Object.prototype` is not ours. Not an array, Map, RegExp, function or class instance.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** zod error option: "must be <what>; received <value>". */
export function mustBe(what: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => `must be ${what}; received ${describeValue(issue.input)}` };
}

/** Message for a field that does not exist, with a suggestion when one is close. */
export function unknownFieldMessage(
  field: string,
  knownFields: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string {
  const suggestion = suggestName(field, knownFields, aliases);
  return suggestion === undefined
    ? `unknown field. Known fields: ${knownFields.join(', ')}.`
    : `unknown field. Did you mean \`${suggestion}\`?`;
}

/** Where zod issues belong: the server, the path of the parsed value, the fields it knows. */
export interface IssueContext {
  server: string;
  prefix: readonly PathSegment[];
  knownFields: readonly string[];
  aliases?: Readonly<Record<string, string>>;
}

/** Turns zod issues into config issues: one per unknown key (with "did you mean"), one per other problem. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], context: IssueContext): ConfigIssue[] {
  const converted: ConfigIssue[] = [];
  for (const issue of issues) {
    const at = [...context.prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        converted.push({
          server: context.server,
          path: formatPath([...at, key]),
          message: unknownFieldMessage(key, context.knownFields, context.aliases),
        });
      }
    } else {
      converted.push({ server: context.server, path: formatPath(at), message: issue.message });
    }
  }
  return converted;
}
