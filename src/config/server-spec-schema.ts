import { isIP } from 'node:net';
import { constants } from 'node:os';
import { z } from 'zod';
import type { AppLike } from './types.js';
import { describeValue, mustBe } from './config-issues.js';
import { suggestName } from './suggest-name.js';

/** Largest delay a Node timer honours; longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Names of the signals this platform knows (`os.constants.signals`), e.g. `SIGTERM`. */
export const SIGNAL_NAMES = Object.keys(constants.signals) as NodeJS.Signals[];

/** Server names appear in placeholders (`{db.url}`) and state keys (`db@1`). */
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

const HOSTNAME_LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const HOSTNAME_PATTERN = new RegExp(`^(?=.{1,253}\\.?$)${HOSTNAME_LABEL}(?:\\.${HOSTNAME_LABEL})*\\.?$`);

/** What is wrong with a `host`, or `undefined` for an IPv4/IPv6 address or a host name. */
function describeHostProblem(host: string): string | undefined {
  if (host === '')
    return 'must not be empty: use an address such as "127.0.0.1" or "::1", or a name such as "localhost"';
  if (isIP(host) !== 0 || HOSTNAME_PATTERN.test(host)) return undefined;
  if (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6) {
    return `write IPv6 addresses without brackets: "${host.slice(1, -1)}" (URLs get the brackets automatically)`;
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(host)) {
    return `must be a host name or IP address, not a URL; received ${JSON.stringify(host)}. Set \`protocol\` and \`port\` separately`;
  }
  const withPort = /^(.+):(\d+)$/.exec(host);
  if (withPort?.[1] !== undefined && (isIP(withPort[1]) === 4 || HOSTNAME_PATTERN.test(withPort[1]))) {
    return `must not include a port; received ${JSON.stringify(host)}. Use \`host: "${withPort[1]}"\` and \`port: ${withPort[2]}\``;
  }
  return `must be an IPv4 address ("127.0.0.1"), an IPv6 address ("::1") or a host name ("localhost"); received ${JSON.stringify(host)}`;
}

function signalError(issue: { input?: unknown }): string {
  const base = `must be a signal name such as 'SIGTERM' or 'SIGINT'; received ${describeValue(issue.input)}`;
  if (typeof issue.input !== 'string') return base;
  const upper = issue.input.toUpperCase();
  const suggestion = suggestName(upper.startsWith('SIG') ? upper : `SIG${upper}`, SIGNAL_NAMES);
  return suggestion === undefined ? base : `${base}. Did you mean '${suggestion}'?`;
}

const PORT_NUMBER = mustBe('an integer from 1 to 65535');
const portNumber = z.int(PORT_NUMBER).min(1, PORT_NUMBER).max(65535, PORT_NUMBER);
const timeoutMs = z
  .int(mustBe('a whole number of milliseconds, 0 or more'))
  .min(0, mustBe('a whole number of milliseconds, 0 or more'))
  .max(MAX_TIMER_MS, mustBe(`at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest delay a Node timer supports`));

/**
 * Shape of one server spec, field by field (strict: unknown fields are issues). Rules across fields
 * (exactly one of `command`/`app`, `port: 0` needs a log probe, …) and `readiness` are checked by
 * validateConfig; `readiness` is only carried through here.
 */
export const serverSpecSchema = z.strictObject({
  command: z
    .array(z.string(mustBe('a string')), {
      error: (issue) =>
        typeof issue.input === 'string'
          ? 'must be an argv array such as ["node", "server.js"], not a string: commands are never run through a shell; ' +
            `received ${describeValue(issue.input)}`
          : `must be an argv array such as ["node", "server.js"]; received ${describeValue(issue.input)}`,
    })
    .min(1, { error: 'must not be empty: give the executable, then its arguments, e.g. ["node", "server.js"]' })
    .optional(),
  app: z
    .custom<() => AppLike | Promise<AppLike>>(
      (value) => typeof value === 'function',
      mustBe('a function that returns a server, a request listener or an app'),
    )
    .optional(),
  cwd: z
    .string(mustBe('a directory path'))
    .min(1, { error: 'must not be empty: omit `cwd` to use process.cwd()' })
    .optional(),
  env: z
    .record(
      z.string(),
      z.string(mustBe('a string (environment values are strings: write "3000", not 3000)')),
      mustBe('an object of environment variables, name → string value'),
    )
    .optional(),
  scope: z.enum(['run', 'worker'], mustBe("'run' or 'worker'")).optional(),
  host: z
    .string(mustBe('a string: an IP address or a host name'))
    .superRefine((host, context) => {
      const problem = describeHostProblem(host);
      if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  port: z
    .custom<number | 'auto'>(
      (value) => value === 'auto' || (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535),
      mustBe("'auto' or an integer from 0 to 65535"),
    )
    .optional(),
  portRange: z
    .tuple([portNumber, portNumber], mustBe('a pair [first, last] of ports from 1 to 65535'))
    .refine(([first, last]) => first <= last, {
      error: (issue) => `must be [first, last] with first ≤ last; received ${describeValue(issue.input)}`,
    })
    .optional(),
  protocol: z.enum(['http', 'https'], mustBe("'http' or 'https'")).optional(),
  url: z
    .string(mustBe("a URL template such as 'redis://{host}:{port}/0'"))
    .regex(/^[A-Za-z][A-Za-z0-9+.-]*:/, {
      error: (issue) =>
        `must start with a scheme such as "postgresql:" or "redis:", e.g. 'redis://{host}:{port}/0'; received ${describeValue(issue.input)}`,
    })
    .optional(),
  setup: z
    .array(
      z
        .array(z.string(mustBe('a string')), mustBe('an argv array such as ["initdb", "-D", "{tmpDir}/data"]'))
        .min(1, { error: 'must not be empty: give the executable, then its arguments' }),
      mustBe('an array of argv arrays, e.g. [["initdb", "-D", "{tmpDir}/data"]]'),
    )
    .optional(),
  user: z
    .custom<string | number>(
      (value) => (typeof value === 'string' && value !== '') || (Number.isInteger(value) && (value as number) >= 0),
      mustBe("a user name such as 'postgres', or a uid (0 or more)"),
    )
    .optional(),
  readiness: z.unknown().optional(),
  startTimeoutMs: timeoutMs.optional(),
  stopSignal: z.enum(SIGNAL_NAMES as [NodeJS.Signals, ...NodeJS.Signals[]], { error: signalError }).optional(),
  stopTimeoutMs: timeoutMs.optional(),
  dependsOn: z
    .array(
      z.string(mustBe('a server name')).min(1, { error: 'must be a server name, not empty' }),
      mustBe('an array of server names'),
    )
    .optional(),
});

/** A server spec whose fields each have the right shape. */
export type ParsedServerSpec = z.infer<typeof serverSpecSchema>;

/** Every field a server spec may have. */
export const SERVER_SPEC_FIELDS = Object.keys(serverSpecSchema.shape);

/** Likely names for spec fields, lower-cased, for "did you mean". */
export const SPEC_FIELD_ALIASES: Readonly<Record<string, string>> = {
  cmd: 'command',
  args: 'command',
  argv: 'command',
  exec: 'command',
  handler: 'app',
  server: 'app',
  dir: 'cwd',
  workdir: 'cwd',
  directory: 'cwd',
  environment: 'env',
  hostname: 'host',
  address: 'host',
  range: 'portRange',
  scheme: 'url',
  connectionurl: 'url',
  connectionstring: 'url',
  uri: 'url',
  before: 'setup',
  init: 'setup',
  prepare: 'setup',
  setupsteps: 'setup',
  steps: 'setup',
  uid: 'user',
  runas: 'user',
  ready: 'readiness',
  readywhen: 'readiness',
  wait: 'readiness',
  waitfor: 'readiness',
  waiton: 'readiness',
  healthcheck: 'readiness',
  probe: 'readiness',
  probes: 'readiness',
  timeout: 'startTimeoutMs',
  timeoutms: 'startTimeoutMs',
  killsignal: 'stopSignal',
  signal: 'stopSignal',
  dependencies: 'dependsOn',
  depends: 'dependsOn',
  deps: 'dependsOn',
  needs: 'dependsOn',
  requires: 'dependsOn',
};
