// eslint-disable-next-line @typescript-eslint/no-unused-vars -- `Endpoint` is imported for the TSDoc `{@link Endpoint}` below
import { formatHostForUrl, type Endpoint } from '../endpoint.js';

/**
 * Where one server can be reached, as substituted into placeholders. `host` is never bracketed. An
 * {@link Endpoint} fits as it is.
 */
export interface PlaceholderTarget {
  host: string;
  port: number;
  /** Base URL, IPv6 hosts bracketed, e.g. `http://[::1]:5000`. */
  url: string;
}

/** Values for {@link expandPlaceholders}: the server being started, and the servers it depends on. */
export interface PlaceholderValues {
  /**
   * The server whose template is expanded: `{port}`, `{host}`, `{url}`, and `{tmpDir}` (its scratch
   * directory) when it has one.
   */
  self: PlaceholderTarget & { tmpDir?: string };
  /** Other servers by name: `{<server>.url}`, `{<server>.port}`, `{<server>.host}`. */
  servers: Readonly<Record<string, PlaceholderTarget>>;
}

/** One `{…}` placeholder found in a template. */
export interface Placeholder {
  /** Text between the braces, e.g. `port` or `db.url`. */
  key: string;
  /** Server named before the first dot (`db` in `db.url`); absent for the server's own `{port}` etc. */
  server?: string;
  /** What is asked for: `port`, `host` or `url` when the key is valid; anything else otherwise. */
  field: string;
}

/** Fields a placeholder of another server can ask for: `{db.port}`, `{db.host}`, `{db.url}`. */
export const PLACEHOLDER_FIELDS = ['port', 'host', 'url'] as const;

/** Fields a placeholder of the server itself can ask for in `command`, `setup`, `env` and `cwd`. */
export const SELF_PLACEHOLDER_FIELDS = [...PLACEHOLDER_FIELDS, 'tmpDir'] as const;

type Token = { literal: string } | { placeholder: Placeholder };

/** A key of the server itself: an identifier (`port`, `tmpDir`, `PORT`). */
const SELF_KEY = '[A-Za-z_][A-Za-z0-9_]*';
/** A key of another server: a server name (`[A-Za-z0-9_-]+`, as config names are), a dot, an identifier. */
const SERVER_KEY = `[A-Za-z0-9_-]+\\.${SELF_KEY}`;
/**
 * What looks like a placeholder, leftmost first: `{{key}}` (the escape: the literal text `{key}`) or
 * `{key}`, each with an optional `$` in front (a shell or template-literal `${HOME}`, left as it is).
 */
const PLACEHOLDER_PATTERN = new RegExp(
  `(\\$?)\\{(?:\\{(${SELF_KEY}|${SERVER_KEY})\\}|(${SELF_KEY}|${SERVER_KEY}))\\}`,
  'g',
);

function parsePlaceholder(key: string): Placeholder {
  const dot = key.indexOf('.');
  return dot === -1 ? { key, field: key } : { key, server: key.slice(0, dot), field: key.slice(dot + 1) };
}

/**
 * Splits a template into literal text and placeholders, in one left-to-right pass. Only what looks
 * like a placeholder is one: `{name}` or `{server.field}` with identifier-shaped names, not preceded by
 * `$`. `{{name}}` is the literal text `{name}`. Every other brace (inline JavaScript
 * `(q, r) => { r.end() }`, JSON `{"a":1}`, shell `${HOME}` and `{a,b}`, a lone `{` or `}`) is literal
 * text, as it is.
 */
function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  let index = 0;
  for (const match of template.matchAll(PLACEHOLDER_PATTERN)) {
    const [text, dollar, escaped, key] = match;
    literal += template.slice(index, match.index);
    index = match.index + text.length;
    if (dollar !== '' || key === undefined) {
      // `${…}` is the shell's or JavaScript's; `{{key}}` is the literal `{key}`.
      literal += dollar !== '' ? text : `{${escaped}}`;
      continue;
    }
    if (literal) tokens.push({ literal });
    literal = '';
    tokens.push({ placeholder: parsePlaceholder(key) });
  }
  literal += template.slice(index);
  if (literal) tokens.push({ literal });
  return tokens;
}

/**
 * Lists the placeholders of a template, in order, duplicates included: only placeholder-shaped text
 * (see {@link expandPlaceholders}); `{{key}}` and any other braces are not placeholders. Keys are not
 * checked here (an unknown `{PORT}` is returned as `{ key: 'PORT', field: 'PORT' }`); validation reports
 * them.
 *
 * @example findPlaceholders('--db={db.url} --port={port}')
 *   // [{ key: 'db.url', server: 'db', field: 'url' }, { key: 'port', field: 'port' }]
 * @example findPlaceholders("require('http').createServer((q, r) => { r.end() })") // []
 */
export function findPlaceholders(template: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const token of tokenize(template)) if ('placeholder' in token) found.push(token.placeholder);
  return found;
}

function lookUp(target: PlaceholderTarget & { tmpDir?: string }, field: string): string | undefined {
  if (field === 'port') return String(target.port);
  if (field === 'host') return target.host;
  if (field === 'url') return target.url;
  if (field === 'tmpDir') return target.tmpDir;
  return undefined;
}

/**
 * Replaces `{port}`, `{host}`, `{url}`, `{tmpDir}` (the server itself) and `{<server>.port|host|url}`
 * (another server) in a `command`/`setup` argument, an `env` value or `cwd`. One pass: substituted
 * values are never expanded again, so a URL holding braces stays as it is. `{host}` is unbracketed
 * (`::1`); `{url}` brackets IPv6 (`http://[::1]:5000`), as the given `url` does.
 *
 * A placeholder is only what looks like one: `{name}` or `{server.field}`, `name` and `field`
 * identifiers (`[A-Za-z_][A-Za-z0-9_]*`), `server` a server name (`[A-Za-z0-9_-]+`), not preceded by `$`.
 * Every other brace is text and passes through unchanged: inline JavaScript
 * (`(q, r) => { r.end() }`), JSON (`{"port":{port}}` gives `{"port":4100}`), shell `${HOME}` and
 * `{a,b}`. `{{name}}` is the literal text `{name}` (the escape, for placeholder-shaped text only: a
 * `{{` or `}}` anywhere else stays as it is). See docs/placeholders.md.
 *
 * @example expandPlaceholders('--upstream={api.url}', { self, servers: { api } }) === '--upstream=http://127.0.0.1:4100'
 * @throws {TypeError} on an unknown key, or a server missing from `values.servers` (validateConfig
 *   rules both out for a validated config).
 */
export function expandPlaceholders(template: string, values: PlaceholderValues): string {
  let output = '';
  for (const token of tokenize(template)) {
    if ('literal' in token) {
      output += token.literal;
      continue;
    }
    const { key, server, field } = token.placeholder;
    const target =
      server === undefined ? values.self : Object.hasOwn(values.servers, server) ? values.servers[server] : undefined;
    if (target === undefined) {
      throw new TypeError(
        `Placeholder \`{${key}}\` names server "${server ?? ''}", which has no values to substitute.`,
      );
    }
    const value = server === undefined || field !== 'tmpDir' ? lookUp(target, field) : undefined;
    if (value === undefined) {
      throw new TypeError(
        field === 'tmpDir' && server === undefined
          ? `Placeholder \`{tmpDir}\` has no value: only a command server has a scratch directory.`
          : `Unknown placeholder \`{${key}}\`: expected {port}, {host}, {url}, {tmpDir} or {<server>.port|host|url}.`,
      );
    }
    output += value;
  }
  return output;
}

/** What a `url` template (or an http probe's `url`) can hold: the server's own host, port and scratch directory. */
export interface UrlTemplateValues {
  /** Unbracketed; bracketed in the output when IPv6. */
  host: string;
  port: number;
  /** The instance's scratch directory; `undefined` where there is none (an in-process server, a probe). */
  tmpDir?: string;
}

/**
 * Expands a `url` template (`'redis://{host}:{port}/0'`): `{host}` is written as a URL authority
 * needs it, IPv6 bracketed (`[::1]`, RFC 3986, section 3.2.2), `{port}` and `{tmpDir}` as they are.
 * @throws {TypeError} on a placeholder other than these (validateConfig rules them out).
 */
export function expandUrlTemplate(template: string, values: UrlTemplateValues): string {
  const self = { host: formatHostForUrl(values.host), port: values.port, url: '', tmpDir: values.tmpDir };
  return expandPlaceholders(template, { self, servers: {} });
}
