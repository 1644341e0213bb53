import { createHash } from 'node:crypto';
import type { NormalizedSpec } from './normalized.js';

/**
 * A server spec's fingerprint: for every own field of its {@link NormalizedSpec} (defaults applied,
 * `cwd` absolute, probes expanded), a short hash of that field's value. Two processes that loaded the
 * same config get the same fingerprint; comparing two tells which fields differ without shipping the
 * values (an `env` may hold secrets) into the state file.
 */
export type SpecFingerprint = Readonly<Record<string, string>>;

/** Hex characters kept of each field's SHA-256: 48 bits, ample to tell two values of one field apart. */
const HASH_CHARS = 12;

/**
 * A canonical text of a value: equal texts for equal values, whatever the key order of objects.
 * Functions are represented by their source text with whitespace runs collapsed, regular expressions
 * by their source and flags.
 */
function canonicalText(value: unknown, path: readonly object[] = []): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value}:${String(value)}`;
    case 'symbol':
      return `symbol:${String(value.description)}`;
    case 'function':
      return `function:${Function.prototype.toString.call(value).replace(/\s+/g, ' ').trim()}`;
    default:
      break;
  }
  const object = value;
  // A cycle cannot come out of validateConfig; name it rather than recurse forever.
  if (path.includes(object)) return 'cycle';
  const inner = [...path, object];
  if (object instanceof RegExp) return `regexp:${String(object)}`;
  if (Array.isArray(object)) return `[${object.map((item: unknown) => canonicalText(item, inner)).join(',')}]`;
  const entries = Object.keys(object)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalText((object as Record<string, unknown>)[key], inner)}`);
  const prototype: unknown = Object.getPrototypeOf(object);
  const kind = prototype === Object.prototype || prototype === null ? '' : (object.constructor?.name ?? 'object');
  return `${kind}{${entries.join(',')}}`;
}

/**
 * Fingerprints a normalized spec: every own field (so a field added to the spec later is covered
 * without touching this function) → the first 12 hex characters of the SHA-256 of its canonical text.
 * A function field (`app`, a custom probe's `check`) is hashed by its source text, so the same file
 * compiled by two different transpilers may differ.
 *
 * @example fingerprintSpec(plan.specs.get('api')!) // { command: '3f2a…', cwd: '91b0…', env: '…', … }
 */
export function fingerprintSpec(spec: NormalizedSpec): SpecFingerprint {
  const fingerprint: Record<string, string> = {};
  for (const [field, value] of Object.entries(spec)) {
    fingerprint[field] = createHash('sha256').update(canonicalText(value)).digest('hex').slice(0, HASH_CHARS);
  }
  return fingerprint;
}

/**
 * The fields whose hashes differ between two fingerprints, a field present in only one of them
 * included, sorted by name. Empty when they are equal.
 */
export function differingFields(left: SpecFingerprint, right: SpecFingerprint): string[] {
  const fields = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...fields].filter((field) => left[field] !== right[field]).sort();
}
