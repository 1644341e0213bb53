import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { DEFAULTS, validateConfig, type NormalizedProbe, type NormalizedSpec } from '../../src/config/index.js';

const TYPES_PATH = fileURLToPath(new URL('../../src/config/types.ts', import.meta.url));

/** `Interface.field` → the text of its `@default` tag, read from the TSDoc of src/config/types.ts. */
function readDocumentedDefaults(): Map<string, string> {
  const source = ts.createSourceFile(TYPES_PATH, readFileSync(TYPES_PATH, 'utf8'), ts.ScriptTarget.Latest, true);
  const defaults = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isInterfaceDeclaration(statement)) continue;
    for (const member of statement.members) {
      if (!ts.isPropertySignature(member)) continue;
      for (const tag of ts.getJSDocTags(member)) {
        if (tag.tagName.text !== 'default') continue;
        defaults.set(
          `${statement.name.text}.${member.name.getText(source)}`,
          (ts.getTextOfJSDocComment(tag.comment) ?? '').trim(),
        );
      }
    }
  }
  return defaults;
}

/** A TSDoc default written as a literal (`'/'`, `30000`, `false`, `[]`), or `undefined` for prose. */
function parseLiteral(text: string): { value: unknown } | undefined {
  const quoted = /^'([^']*)'$/.exec(text);
  if (quoted) return { value: quoted[1] };
  if (/^\d+$/.test(text)) return { value: Number(text) };
  if (text === 'true' || text === 'false') return { value: text === 'true' };
  if (text === '[]') return { value: [] };
  return undefined;
}

const app = () => () => undefined;

function spec(config: Record<string, unknown>): NormalizedSpec {
  const normalized = validateConfig({ server: config }).specs.get('server');
  if (normalized === undefined) throw new Error('no spec');
  return normalized;
}

function probe(readiness: unknown): NormalizedProbe {
  const [first] = spec({ command: ['x'], readiness }).readiness;
  if (first === undefined) throw new Error('no probe');
  return first;
}

const commandSpec = () => spec({ command: ['x'] });
const field = <K extends string>(value: object, key: K): unknown => (value as Record<K, unknown>)[key];

/**
 * How each documented default shows in what validateConfig returns. `constant` names the DEFAULTS
 * entry that must agree; `prose` is the documented text of a default that is not a literal.
 */
const EXPECTATIONS: Record<string, { actual: () => unknown; constant?: keyof typeof DEFAULTS; prose?: string }> = {
  'HttpReadiness.path': { actual: () => field(probe('http'), 'path'), constant: 'httpPath' },
  'HttpReadiness.statuses': {
    // The readiness module applies the range; the plan leaves statuses unset.
    actual: () => field(probe('http'), 'statuses'),
    prose: 'every status from 200 to 399',
  },
  'HttpReadiness.insecure': { actual: () => field(probe('http'), 'insecure') },
  'CustomReadiness.description': { actual: () => field(probe({ type: 'custom', check: () => true }), 'description') },
  'BaseServerSpec.scope': { actual: () => commandSpec().scope },
  'BaseServerSpec.host': { actual: () => commandSpec().host, constant: 'host' },
  'BaseServerSpec.port': { actual: () => commandSpec().port.mode },
  'BaseServerSpec.protocol': { actual: () => commandSpec().url.split(':')[0], constant: 'protocol' },
  'BaseServerSpec.url': { actual: () => commandSpec().url },
  'CommandServerSpec.setup': { actual: () => field(commandSpec(), 'setup') },
  'CommandServerSpec.user': { actual: () => field(commandSpec(), 'user'), prose: 'the user of this process' },
  'BaseServerSpec.readiness': {
    actual: () => ({ command: commandSpec().readiness, inProcess: spec({ app }).readiness }),
    prose: "'tcp' for command servers; in-process servers are ready once listening",
  },
  'BaseServerSpec.startTimeoutMs': { actual: () => commandSpec().startTimeoutMs, constant: 'startTimeoutMs' },
  'BaseServerSpec.stopSignal': { actual: () => commandSpec().stopSignal, constant: 'stopSignal' },
  'BaseServerSpec.stopTimeoutMs': { actual: () => commandSpec().stopTimeoutMs, constant: 'stopTimeoutMs' },
  'BaseServerSpec.dependsOn': { actual: () => commandSpec().dependsOn },
  'CommandServerSpec.cwd': { actual: () => field(commandSpec(), 'cwd'), prose: 'process.cwd()' },
};

/** What the prose defaults mean, as values. */
const PROSE_VALUES: Record<string, unknown> = {
  'HttpReadiness.statuses': undefined,
  'BaseServerSpec.readiness': { command: [{ type: 'tcp' }], inProcess: [] },
  'CommandServerSpec.cwd': process.cwd(),
  'CommandServerSpec.user': undefined,
};

describe('the @default tags of src/config/types.ts', () => {
  const documented = readDocumentedDefaults();

  test('are all checked here, and every check has its tag', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(EXPECTATIONS).sort());
  });

  test.each([...documented])('%s: @default %s holds', (key, text) => {
    const expectation = EXPECTATIONS[key];
    if (expectation === undefined) throw new Error(`no expectation for ${key}`);
    const literal = parseLiteral(text);
    if (literal === undefined) {
      expect(text).toBe(expectation.prose);
      expect(expectation.actual()).toEqual(PROSE_VALUES[key]);
      return;
    }
    expect(expectation.prose).toBeUndefined();
    expect(expectation.actual()).toEqual(literal.value);
    if (expectation.constant !== undefined) expect(DEFAULTS[expectation.constant]).toEqual(literal.value);
  });

  test('every DEFAULTS entry is documented', () => {
    const documentedConstants = Object.values(EXPECTATIONS).flatMap((expectation) =>
      expectation.constant === undefined ? [] : [expectation.constant],
    );
    expect(documentedConstants.sort()).toEqual(Object.keys(DEFAULTS).sort());
  });
});

/** docs/cli.md's "Environment variables" table: variable → default column. */
function documentedEnvironment(): Map<string, string> {
  const text = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
  const section = text.slice(
    text.indexOf('## Environment variables'),
    text.indexOf('\n## ', text.indexOf('## Environment variables') + 1),
  );
  const rows = new Map<string, string>();
  for (const match of section.matchAll(/^\| `(EPHEMERAL_SERVERS_[A-Z_]+)` \| ([^|]+) \|/gm))
    rows.set(match[1]!, match[2]!.trim());
  return rows;
}

describe("the defaults of docs/cli.md's environment variables", () => {
  const documented = documentedEnvironment();
  const uid = process.getuid!();

  test('every documented variable is read by the code', () => {
    const sources = [
      'state/state-path.ts',
      'ports/port-reservation.ts',
      'logs/kept-logs.ts',
      'platform/select-backend.ts',
      'lifecycle/start-run.ts',
    ];
    const code = sources.map((path) => readFileSync(new URL(`../../src/${path}`, import.meta.url), 'utf8')).join('\n');
    expect([...documented.keys()].length).toBeGreaterThanOrEqual(5);
    for (const name of documented.keys()) expect(code, name).toContain(`'${name}'`);
  });

  test('EPHEMERAL_SERVERS_STATE: unset, and empty counts as unset', async () => {
    const { readStateEnv, resolveStatePath } = await import('../../src/state/state-path.js');
    expect(documented.get('EPHEMERAL_SERVERS_STATE')).toBe('unset');
    expect(readStateEnv({})).toBeUndefined();
    expect(readStateEnv({ EPHEMERAL_SERVERS_STATE: '' })).toBeUndefined();
    expect(readStateEnv({ EPHEMERAL_SERVERS_STATE: '/tmp/x/state.json' })).toBe('/tmp/x/state.json');
    expect(() => resolveStatePath(undefined, { EPHEMERAL_SERVERS_STATE: '' })).toThrow(
      expect.objectContaining({ code: 'ES_STATE_MISSING' }),
    );
  });

  test('EPHEMERAL_SERVERS_RESERVATION_DIR and EPHEMERAL_SERVERS_LOGS_DIR: under the OS temp dir, per uid; empty counts as unset', async () => {
    const { defaultReservationDir } = await import('../../src/ports/port-reservation.js');
    const { keptLogsRoot } = await import('../../src/logs/kept-logs.js');
    expect(documented.get('EPHEMERAL_SERVERS_RESERVATION_DIR')).toBe('`<os temp dir>/ephemeral-servers-ports-<uid>`');
    expect(documented.get('EPHEMERAL_SERVERS_LOGS_DIR')).toBe('`<os temp dir>/ephemeral-servers-logs-<uid>`');
    for (const env of [{}, { EPHEMERAL_SERVERS_RESERVATION_DIR: '' }])
      expect(defaultReservationDir(env)).toBe(join(tmpdir(), `ephemeral-servers-ports-${uid}`));
    const previous = process.env.EPHEMERAL_SERVERS_LOGS_DIR;
    try {
      for (const value of [undefined, '']) {
        if (value === undefined) delete process.env.EPHEMERAL_SERVERS_LOGS_DIR;
        else process.env.EPHEMERAL_SERVERS_LOGS_DIR = value;
        expect(keptLogsRoot()).toBe(join(tmpdir(), `ephemeral-servers-logs-${uid}`));
      }
    } finally {
      if (previous === undefined) delete process.env.EPHEMERAL_SERVERS_LOGS_DIR;
      else process.env.EPHEMERAL_SERVERS_LOGS_DIR = previous;
    }
  });

  test('EPHEMERAL_SERVERS_PROCFS: unset is the same as 1 (procfs where /proc works, as here)', async () => {
    const { selectBackend } = await import('../../src/platform/select-backend.js');
    expect(documented.get('EPHEMERAL_SERVERS_PROCFS')).toBe('unset (the same as `1`)');
    expect(selectBackend(undefined, 'linux').kind).toBe(selectBackend('1', 'linux').kind);
    expect(selectBackend('', 'linux').kind).toBe(selectBackend('1', 'linux').kind);
  });
});
